/**
 * A rate limit inside an open stream, through the real server: Anthropic's `event: error` with
 * `rate_limit_error` after thinking deltas, and an OpenRouter chunk relaying a routed provider's
 * 429 (`metadata.raw`). The client keeps what it was sent and gets the error; the key then rests
 * as it would after the same 429 before the stream, so the client's re-send goes to the fallback
 * at once, saying why, instead of to the limited key.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { encodeEvents, openingMessage, textMessage } from "../mocks/anthropic_fixtures.ts";

const SSE = { "content-type": "text/event-stream" };

/** Anthropic: thinking, then a rate limit mid-stream. */
function limitedAnthropic(seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push("claude");
    const ev = (event: string, data: Record<string, unknown>) => ({
      event,
      data: { type: event, ...data },
    });
    const body = encodeEvents([
      ev("message_start", {
        message: openingMessage("msg_1", "claude-opus-5-5", { input_tokens: 9, output_tokens: 1 }),
      }),
      ev("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }),
      ev("content_block_delta", {
        index: 0,
        delta: { type: "thinking_delta", thinking: "Let me look" },
      }),
      ev("error", {
        error: {
          type: "rate_limit_error",
          message: "Rate limited, please try again after 25 seconds",
        },
      }),
    ]);
    return new Response(body, { headers: SSE });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** An OpenRouter-like Chat upstream: some text, then a routed provider's 429 in a chunk. */
function limitedOpenRouter(seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    seen.push(`or ${body.model}`);
    const chunk = (extra: Record<string, unknown>) =>
      `data: ${
        JSON.stringify({
          id: "gen-1",
          object: "chat.completion.chunk",
          model: body.model,
          provider: "Google AI Studio",
          ...extra,
        })
      }\n\n`;
    const raw = JSON.stringify({
      error: {
        code: 429,
        message: "You exceeded your current quota, please check your plan and billing details.",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "38s" }],
      },
    });
    const text = chunk({
      choices: [{ index: 0, delta: { role: "assistant", content: "Hello" }, finish_reason: null }],
    }) + chunk({
      error: {
        code: 429,
        message: "Provider returned error",
        metadata: { raw, provider_name: "Google AI Studio" },
      },
      choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
    });
    return new Response(text, { headers: SSE });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function fallback(seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push("other");
    return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }, "other"));
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function configOf(yaml: string) {
  return configFromYaml({ text: yaml, file: "config.yaml", path: "/abs/config.yaml", env: {} });
}

const ask = (model: string) => ({
  model,
  max_tokens: 16,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
});

Deno.test("a rate_limit_error in Anthropic's stream rests the key: the re-send goes to the fallback", async () => {
  const seen: string[] = [];
  const claude = limitedAnthropic(seen);
  const other = fallback(seen);
  const ccp = startCcp(configOf(`
providers:
  claude: { type: anthropic, base_url: ${claude.url}, api_key: sk-ant-test-0000 }
  other: { type: anthropic, base_url: ${other.url}, api_key: sk-other-0000 }
routes:
  default: [claude/claude-opus-5-5, other/m]
`));
  try {
    const first = await postMessages(ccp.url, ask("claude-opus-5-5"));
    assert.equal(first.headers.get("x-ccp-provider"), "claude");
    const events = parseSse(await first.text());
    assert.deepEqual(
      events.map((e) => e.event),
      ["message_start", "content_block_start", "content_block_delta", "error"],
      "what the client had is not cut",
    );
    assert.equal((events[3]!.data.error as { type: string }).type, "rate_limit_error");
    const second = await postMessages(ccp.url, ask("claude-opus-5-5"));
    await second.body?.cancel();
    assert.deepEqual(seen, ["claude", "other"], "the limited key is not asked again");
    assert.match(
      second.headers.get("x-ccp-passed") ?? "",
      /^claude\/claude-opus-5-5 \(not sent: key cooling down after 429, usable again in (24|25)s\)$/,
    );
    assert.ok(
      ccp.logs.some((l) => /key 1 \(…0000\): .*→ the key cools down for 25s on this model/.test(l)),
      ccp.logs.join("\n"),
    );
  } finally {
    await ccp.close();
    await claude.close();
    await other.close();
  }
});

Deno.test("OpenRouter's routed 429 inside its stream rests that model for the provider's wait", async () => {
  const seen: string[] = [];
  const or = limitedOpenRouter(seen);
  const other = fallback(seen);
  const ccp = startCcp(configOf(`
providers:
  or: { type: openai, base_url: ${or.url}/api/v1, api_key: sk-or-v1-test-0000 }
  other: { type: anthropic, base_url: ${other.url}, api_key: sk-other-0000 }
routes:
  default: [or/google/gemini-2.0-flash-exp:free, other/m]
  sonnet: [or/qwen/qwen3-coder:free]
`));
  try {
    const first = await postMessages(ccp.url, ask("claude-opus-5-5"));
    const events = parseSse(await first.text());
    assert.ok(events.some((e) => e.event === "content_block_delta"), "the text sent is kept");
    assert.equal(events.at(-1)!.event, "error");
    const second = await postMessages(ccp.url, ask("claude-opus-5-5"));
    await second.body?.cancel();
    assert.match(
      second.headers.get("x-ccp-passed") ?? "",
      /^or\/google\/gemini-2\.0-flash-exp:free \(not sent: key cooling down after 429, usable again in (37|38)s\)$/,
    );
    const third = await postMessages(ccp.url, ask("claude-sonnet-4-5"));
    await third.body?.cancel();
    assert.deepEqual(
      seen,
      ["or google/gemini-2.0-flash-exp:free", "other", "or qwen/qwen3-coder:free"],
      "the key's other models still serve",
    );
  } finally {
    await ccp.close();
    await or.close();
    await other.close();
  }
});

// The client asks for JSON, so ccp collects the limited stream; with web search offered, which
// this route's upstream does not run, ccp runs the loop and its first round is that stream.
const COLLECTED = [
  { name: "a stream collected for a JSON client", tools: undefined },
  {
    name: "a web tools round collected for a JSON client",
    tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 1 }],
  },
];

for (const { name, tools } of COLLECTED) {
  Deno.test(`a rate limit inside ${name} moves the same request on, and rests the key`, async () => {
    const seen: string[] = [];
    const claude = limitedAnthropic(seen);
    const other = fallback(seen);
    const ccp = startCcp(configOf(`
providers:
  claude: { type: anthropic, base_url: ${claude.url}, api_key: sk-ant-test-0000 }
  other: { type: anthropic, base_url: ${other.url}, api_key: sk-other-0000 }
routes:
  default: [claude/claude-opus-5-5, other/m]
`));
    const body = { ...ask("claude-opus-5-5"), stream: false, ...(tools ? { tools } : {}) };
    try {
      // Nothing reached the client when the stream broke: the fallback answers this request.
      const first = await postMessages(ccp.url, body);
      const served = await first.json();
      assert.equal(first.status, 200, JSON.stringify(served));
      assert.equal(first.headers.get("x-ccp-provider"), "other");
      assert.deepEqual(seen, ["claude", "other"]);
      assert.ok(
        ccp.logs.some((l) =>
          /key 1 \(…0000\): .*→ next_target \(the key cools down for 25s/.test(l)
        ),
        ccp.logs.join("\n"),
      );
      assert.ok(
        ccp.logs.some((l) => / 200 .*attempts=2 \(failed: claude\/claude-opus-5-5 429\)/.test(l)),
        ccp.logs.join("\n"),
      );
      const second = await postMessages(ccp.url, body);
      assert.equal(second.status, 200);
      await second.body?.cancel();
      assert.deepEqual(seen, ["claude", "other", "other"], "the limited key is not asked again");
      const passed =
        /^claude\/claude-opus-5-5 \(not sent: key cooling down after 429, usable again in (24|25)s\)$/;
      assert.match(second.headers.get("x-ccp-passed") ?? "", passed);
      assert.ok(
        ccp.logs.some((l) =>
          / 200 .*passed: claude\/claude-opus-5-5 \(not sent: key cooling/.test(l)
        ),
        ccp.logs.join("\n"),
      );
    } finally {
      await ccp.close();
      await claude.close();
      await other.close();
    }
  });
}
