/**
 * A 404 about the path (nothing answers ccp's request there: a wrong base_url, or a local server
 * older than its Anthropic API) says where ccp sent the request and what to change; a 404 about
 * the model stays the upstream's words alone. The status stays 404 for those: a client reads a
 * 404 as "not found", whatever ccp adds to the message. A model the server lacks, where ccp knows
 * the fix (Ollama's `ollama pull`, NIM's model names), is a 400: Claude Code prints a 400's
 * message, and of a 404 only "There's an issue with the selected model (claude-...)".
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config, ProviderConfig } from "../../src/config/types.ts";

/** An upstream answering every request with a 404 of `body` (as `type`). */
function notFound(body: string, type = "text/plain") {
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    paths.push(new URL(req.url).pathname);
    return new Response(body, { status: 404, headers: { "content-type": type } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, paths, close: () => server.shutdown() };
}

async function ask(over: Partial<ProviderConfig>, baseUrl: string) {
  const ccp = startCcp(testConfig({
    providers: [provider("local", { ...over, baseUrl, maxRetries: 0 })],
    routes: { default: "local/qwen3-coder" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    const body = await res.json();
    return { status: res.status, type: body.error.type, message: body.error.message as string };
  } finally {
    await ccp.close();
  }
}

Deno.test("an Ollama without an Anthropic endpoint: the 404 says to update it or use its OpenAI API", async () => {
  const up = notFound("404 page not found");
  try {
    const got = await ask({ preset: "ollama", type: "anthropic" }, up.url);
    assert.equal(got.status, 404);
    assert.equal(got.type, "not_found_error");
    assert.ok(got.message.includes("404 page not found"), got.message);
    assert.ok(
      got.message.includes(`nothing answers POST ${up.url}/v1/messages: check base_url`),
      got.message,
    );
    assert.ok(got.message.includes("a version before Ollama 0.14"), got.message);
    assert.ok(got.message.includes(`\`type: openai\` at ${up.url}/v1`), got.message);
  } finally {
    await up.close();
  }
});

Deno.test("a 404 from a Chat Completions base_url without its path says where ccp sent it", async () => {
  const up = notFound('{"detail":"Not Found"}', "application/json");
  try {
    const got = await ask({ type: "openai" }, up.url);
    assert.equal(got.status, 404);
    assert.ok(
      got.message.includes(`nothing answers POST ${up.url}/chat/completions: check base_url`),
      got.message,
    );
    assert.ok(!got.message.includes("type: openai"), got.message);
    assert.ok(
      got.message.includes(
        `check base_url; an OpenAI-compatible root usually ends in /v1: ${up.url}/v1)`,
      ),
      got.message,
    );
  } finally {
    await up.close();
  }
});

Deno.test("a 404 from a preset's base_url with another path names the preset's own root", async () => {
  const up = notFound("404 page not found");
  try {
    // DeepSeek's Anthropic API is under /anthropic; without it nothing answers.
    const got = await ask({ preset: "deepseek", type: "anthropic" }, up.url);
    assert.ok(
      got.message.includes(
        `check base_url; the deepseek preset's is https://api.deepseek.com/anthropic)`,
      ),
      got.message,
    );
    // With /v1 already there, an OpenAI-compatible root gets no guess.
    const v1 = await ask({ type: "openai" }, `${up.url}/v1`);
    assert.ok(v1.message.endsWith("check base_url)"), v1.message);
  } finally {
    await up.close();
  }
});

Deno.test("a 404 about the model is the upstream's words, and for Ollama what to pull", async () => {
  const up = notFound(
    JSON.stringify({
      error: { type: "not_found_error", message: "model 'qwen3-coder' not found" },
    }),
    "application/json",
  );
  try {
    const got = await ask({ preset: "ollama", type: "anthropic" }, up.url);
    assert.equal(got.status, 400);
    assert.equal(got.type, "invalid_request_error");
    assert.ok(got.message.includes("model 'qwen3-coder' not found"), got.message);
    assert.ok(!got.message.includes("base_url"), got.message);
    assert.ok(
      got.message.endsWith(
        "(this Ollama does not have it: run `ollama pull qwen3-coder`, " +
          "or route to a model that `ollama list` shows)",
      ),
      got.message,
    );
    // Another server's words about its model stay as they are.
    const other = await ask({ preset: "vllm", type: "anthropic" }, up.url);
    assert.equal(other.status, 404);
    assert.ok(other.message.endsWith("model 'qwen3-coder' not found"), other.message);
  } finally {
    await up.close();
  }
});

Deno.test("NVIDIA NIM's 404 for a model it does not serve names the model, not the base_url", async () => {
  // NIM's own words: each model is a "function", and the ids say nothing to the user.
  const up = notFound(
    JSON.stringify({
      status: 404,
      title: "Not Found",
      detail: "Function 'a1b2c3d4-0000-1111-2222-333344445555': Not found for account 'Ab1Ez'",
    }),
    "application/json",
  );
  try {
    const got = await ask({ preset: "nvidia_nim", type: "openai" }, `${up.url}/v1`);
    assert.equal(got.status, 400);
    assert.ok(got.message.includes("Not found for account"), got.message);
    assert.ok(!got.message.includes("nothing answers"), got.message);
    assert.ok(
      got.message.endsWith(
        '(NVIDIA NIM serves no model "qwen3-coder" to this key: check its name on build.nvidia.com)',
      ),
      got.message,
    );
  } finally {
    await up.close();
  }
});

Deno.test("OpenRouter's 404 for a request no provider of the model serves is its words alone", async () => {
  const up = notFound(
    JSON.stringify({ error: { message: "No endpoints found that support tool use.", code: 404 } }),
    "application/json",
  );
  try {
    const got = await ask({ type: "openai" }, up.url);
    assert.equal(got.status, 404);
    assert.ok(got.message.includes("No endpoints found that support tool use"), got.message);
    assert.ok(!got.message.includes("base_url"), got.message);
  } finally {
    await up.close();
  }
});

Deno.test("the 404 advice never quotes credentials written into the base_url", async () => {
  const up = notFound("404 page not found");
  try {
    const withToken = up.url.replace("http://", "http://tok3n@");
    const got = await ask({ preset: "ollama", type: "anthropic" }, withToken);
    assert.equal(got.status, 404);
    assert.ok(got.message.includes("`type: openai` at http://127.0.0.1:"), got.message);
    assert.ok(!got.message.includes("tok3n"), got.message);
  } finally {
    await up.close();
  }
});

/** The message of the 404 a config built as ccp builds it gets from `up`. */
async function askConfig(config: Config): Promise<string> {
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 404);
    return (await res.json()).error.message;
  } finally {
    await ccp.close();
  }
}

Deno.test("MODEL=nvidia_nim/... with NVIDIA_NIM_BASE_URL missing /v1: the 404 names that variable", async () => {
  // The quick start's setup has no base_url anywhere: the address came from the preset's variable.
  const up = notFound("404 page not found");
  try {
    const message = await askConfig(configFromEnv({
      env: {
        MODEL: "nvidia_nim/moonshotai/kimi-k2.5",
        NVIDIA_NIM_API_KEY: "nvapi-0000000000000000",
        NVIDIA_NIM_BASE_URL: up.url,
      },
    }));
    assert.ok(
      message.includes(
        `nothing answers POST ${up.url}/chat/completions: check NVIDIA_NIM_BASE_URL; the ` +
          "nvidia_nim preset's is https://integrate.api.nvidia.com/v1",
      ),
      message,
    );
    assert.ok(!message.includes("base_url"), message);
  } finally {
    await up.close();
  }
});

Deno.test("a config file's base_url that reads a variable: the 404 names both", async () => {
  const up = notFound('{"detail":"Not Found"}', "application/json");
  try {
    const message = await askConfig(configFromYaml({
      file: "ccp.yaml",
      env: { BOX_URL: up.url },
      text: `providers:
  box: { type: openai, base_url: "\${BOX_URL}", api_key: test }
routes:
  default: box/qwen3-coder
`,
    }));
    assert.ok(
      message.includes(
        `check BOX_URL (which providers.box.base_url in the config file reads); an ` +
          `OpenAI-compatible root usually ends in /v1: ${up.url}/v1`,
      ),
      message,
    );
  } finally {
    await up.close();
  }
});

Deno.test("Ollama without the model: a route with another target still moves on to it", async () => {
  const missing = notFound(
    JSON.stringify({
      type: "error",
      error: { type: "not_found_error", message: "model 'qwen3-coder' not found" },
    }),
    "application/json",
  );
  const answering = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "m",
        content: [{ type: "text", text: "from the next target" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 4 },
      }),
  );
  const ccp = startCcp(testConfig({
    providers: [
      provider("ollama", {
        preset: "ollama",
        type: "anthropic",
        baseUrl: missing.url,
        maxRetries: 0,
      }),
      provider("next", { baseUrl: `http://127.0.0.1:${answering.addr.port}`, maxRetries: 0 }),
    ],
    routes: { default: ["ollama/qwen3-coder", "next/m"] },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.content[0].text, "from the next target");
    assert.deepEqual(missing.paths, ["/v1/messages"]);
  } finally {
    await ccp.close();
    await answering.shutdown();
    await missing.close();
  }
});

Deno.test("LM Studio's 404 for a model it has not loaded is a 400 that says to load it", async () => {
  // LM Studio's OpenAI-style error, as its users report it, with no model loaded.
  const up = notFound(
    JSON.stringify({
      error: {
        message: "No models loaded. Please load a model in the developer page or use the " +
          "`lms load` command.",
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    }),
    "application/json",
  );
  try {
    const got = await ask({ preset: "lmstudio", type: "anthropic" }, `${up.url}/v1`);
    assert.equal(got.status, 400);
    assert.equal(got.type, "invalid_request_error");
    assert.ok(got.message.includes("No models loaded"), got.message);
    assert.ok(!got.message.includes("base_url"), got.message);
    assert.ok(
      got.message.endsWith(
        '(LM Studio has no model "qwen3-coder" loaded: load it (`lms load qwen3-coder`), or ' +
          "name one that `lms ps` shows)",
      ),
      got.message,
    );
  } finally {
    await up.close();
  }
});

Deno.test("a long upstream body is cut in the quote only: the advice after it stays whole", async () => {
  // An HTML error page of a proxy in front of the server: many kilobytes, all of it quoted text.
  const page = `<html><body>${"Not Found. ".repeat(600)}</body></html>`;
  const up = notFound(page, "text/html");
  try {
    const got = await ask({ preset: "ollama", type: "anthropic" }, up.url);
    assert.equal(got.status, 404);
    assert.equal(got.type, "not_found_error");
    // The whole advice, up to its last words, follows the cut quote.
    assert.match(
      got.message,
      /HTTP 404: <html><body>(Not Found\. )+\S*\u2026 \(nothing answers POST /,
    );
    assert.ok(got.message.endsWith(`\`type: openai\` at ${up.url}/v1)`), got.message);
    // Bounded all the same: the quote is at most 300 characters of the page's 6,600.
    assert.ok(got.message.length < 900, `${got.message.length} characters`);
  } finally {
    await up.close();
  }
});
