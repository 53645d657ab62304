/**
 * A chain of a small and a large context window through the real server: a prompt the small
 * model refuses as too long (or that ccp's count shows it cannot hold) goes to the large one,
 * and only the last refusal reaches the client as Anthropic's `prompt is too long`.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

const ANSWER = textMessage("m", { input_tokens: 1, output_tokens: 1 }, "ok");

/** An Anthropic-compatible upstream whose window holds prompts up to `holds` tokens (stated). */
function upstream(name: string, seen: string[], holds: number, prompt: () => number) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push(name);
    if (prompt() <= holds) return Response.json(ANSWER);
    // llama.cpp's words (through an OpenAI-compatible server's Anthropic endpoint alike).
    return Response.json({
      error: {
        code: 400,
        type: "exceed_context_size_error",
        message:
          `request (${prompt()} tokens) exceeds the available context size (${holds} tokens)`,
      },
    }, { status: 400 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** ccp over [small, large], with the windows `declare` names declared in `model_settings`. */
function setup(
  opts: { small: number; large: number; declare?: "small" | "both"; chain?: string },
) {
  const seen: string[] = [];
  const counts = { made: 0 };
  let tokens = 0;
  const small = upstream("small", seen, opts.small, () => tokens);
  const large = upstream("large", seen, opts.large, () => tokens);
  const declared = (n: number) => `, model_settings: { m: { context_window: ${n} } }`;
  const smallWindow = opts.declare ? declared(opts.small) : "";
  const largeWindow = opts.declare === "both" ? declared(opts.large) : "";
  const ccp = startCcp(
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
providers:
  small: { type: anthropic, base_url: "${small.url}", api_key: k, max_retries: 0${smallWindow} }
  large: { type: anthropic, base_url: "${large.url}", api_key: k, max_retries: 0${largeWindow} }
routes: { default: ${opts.chain ?? "[small/m, large/m]"} }
`,
    }),
    { countTokens: () => (counts.made++, Promise.resolve(tokens)) },
  );
  return {
    seen,
    counts,
    logs: ccp.logs,
    /** Sends a prompt of `n` tokens (as both ccp's count and the upstreams see it). */
    send: async (n: number) => {
      tokens = n;
      seen.length = 0;
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      });
      return { res, body: await res.json() };
    },
    close: async () => {
      await ccp.close();
      await small.close();
      await large.close();
    },
  };
}

Deno.test("a prompt the small model refuses as too long is served by the large one", async () => {
  const env = setup({ small: 32_000, large: 1_000_000 });
  try {
    const { res, body } = await env.send(50_000);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(env.seen, ["small", "large"]);
    assert.equal(res.headers.get("x-ccp-provider"), "large");
    assert.equal(res.headers.get("x-ccp-passed"), "small/m (refused as too long)");
    const line = env.logs.find((l) => l.includes("POST /v1/messages")) ?? "";
    assert.match(line, /→ large\/m .*attempts=2 .*passed: small\/m \(refused as too long\)/);
    assert.ok(
      env.logs.some((l) => l.includes("a larger one may hold it)")),
      "the attempt's warning says why the chain moved on",
    );
    // No breaker opened for the small model: many such refusals still leave it serving.
    for (let i = 0; i < 6; i++) await env.send(50_000);
    const fits = await env.send(1_000);
    assert.equal(fits.res.status, 200);
    assert.deepEqual(env.seen, ["small"], "the small model still serves what it holds");
    assert.equal(fits.res.headers.get("x-ccp-passed"), null);
  } finally {
    await env.close();
  }
});

Deno.test("when the large model refuses too, Claude Code gets its `prompt is too long`", async () => {
  const env = setup({ small: 32_000, large: 100_000 });
  try {
    const { res, body } = await env.send(150_000);
    assert.equal(res.status, 400);
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^prompt is too long: 150000 tokens > 100000 maximum/);
    assert.deepEqual(env.seen, ["small", "large"]);
    assert.equal(
      res.headers.get("x-ccp-passed"),
      "small/m (refused as too long), large/m (refused as too long)",
    );
    assert.equal(res.headers.get("x-ccp-provider"), "large");
  } finally {
    await env.close();
  }
});

Deno.test("a route with one target answers its refusal as before", async () => {
  const env = setup({ small: 32_000, large: 1_000_000, chain: "small/m" });
  try {
    const { res, body } = await env.send(50_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^prompt is too long: 50000 tokens > 32000 maximum/);
    assert.deepEqual(env.seen, ["small"]);
    assert.equal(res.headers.get("x-ccp-passed"), null, "no other target to pass it to");
  } finally {
    await env.close();
  }
});

Deno.test("a declared window the count surely exceeds is passed without sending", async () => {
  const env = setup({ small: 32_000, large: 1_000_000, declare: "small" });
  try {
    // 2.1 times 32k and more: the small model is not sent it.
    const over = await env.send(70_000);
    assert.equal(over.res.status, 200);
    assert.deepEqual(env.seen, ["large"]);
    assert.equal(
      over.res.headers.get("x-ccp-passed"),
      "small/m (not sent: window 32000, prompt 70000 by ccp's count)",
    );
    // Within the count's error: sent, and the refusal moves the chain on.
    const doubt = await env.send(60_000);
    assert.equal(doubt.res.status, 200);
    assert.deepEqual(env.seen, ["small", "large"]);
    // Fits: the small model serves it, as before.
    const fits = await env.send(20_000);
    assert.equal(fits.res.status, 200);
    assert.deepEqual(env.seen, ["small"]);
  } finally {
    await env.close();
  }
});

Deno.test("when no window of the chain holds the count, only the largest is sent it", async () => {
  const env = setup({ small: 32_000, large: 100_000, declare: "both" });
  try {
    const { res, body } = await env.send(500_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^prompt is too long: 500000 tokens > 100000 maximum/);
    assert.deepEqual(env.seen, ["large"]);
    assert.equal(
      res.headers.get("x-ccp-passed"),
      "small/m (not sent: window 32000, prompt 500000 by ccp's count), " +
        "large/m (refused as too long)",
    );
  } finally {
    await env.close();
  }
});

Deno.test("after a refusal as too long, a window no larger is passed without sending", async () => {
  const env = setup({
    small: 32_000,
    large: 100_000,
    declare: "small",
    chain: "[large/m, small/m]",
  });
  try {
    const { res, body } = await env.send(150_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^prompt is too long: 150000 tokens > 100000 maximum/);
    assert.deepEqual(env.seen, ["large"]);
    assert.equal(
      res.headers.get("x-ccp-passed"),
      "large/m (refused as too long), small/m (not sent: window 32000, a window of 100000 refused)",
    );
    assert.equal(res.headers.get("x-ccp-provider"), "large", "the last target tried");
  } finally {
    await env.close();
  }
});

Deno.test("no count is made for the chain that its first target would not make itself", async () => {
  // The small target, in the middle, declares its window; the first one does not, and counts
  // nothing to send its request: neither does the chain.
  const env = setup({
    small: 32_000,
    large: 100_000,
    declare: "small",
    chain: "[large/m, small/m, large/m]",
  });
  try {
    const served = await env.send(50_000);
    assert.equal(served.res.status, 200);
    assert.deepEqual(env.seen, ["large"]);
    assert.equal(env.counts.made, 0, "ccp counted no prompt its first target did not need");
  } finally {
    await env.close();
  }
});

Deno.test("a refusal as too long in a 200 JSON body that comes in pieces moves the chain on too", async () => {
  const seen: string[] = [];
  const encoder = new TextEncoder();
  // An OpenAI-compatible gateway that writes the refusal into a 200 answer, sent in two pieces.
  const refusal = JSON.stringify({
    error: {
      message: "This model's maximum context length is 32768 tokens. However, you requested " +
        "50000 tokens. Please reduce the length of the messages.",
    },
  });
  const small = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push("small");
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(refusal.slice(0, 24)));
        await new Promise((resolve) => setTimeout(resolve, 30));
        controller.enqueue(encoder.encode(refusal.slice(24)));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  const large = upstream("large", seen, 1_000_000, () => 50_000);
  const ccp = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `
providers:
  small: { type: openai, base_url: "http://127.0.0.1:${small.addr.port}/v1", api_key: k, max_retries: 0 }
  large: { type: anthropic, base_url: "${large.url}", api_key: k, max_retries: 0 }
routes: { default: [small/m, large/m] }
`,
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(seen, ["small", "large"]);
    assert.equal(res.headers.get("x-ccp-passed"), "small/m (refused as too long)");
  } finally {
    await ccp.close();
    await small.shutdown();
    await large.close();
  }
});
