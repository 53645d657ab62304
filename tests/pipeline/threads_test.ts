/**
 * Message threads (`thread` in a Messages request) as the Anthropic TypeScript SDK 1.17 sends
 * them: its beta tool runner opens every conversation with `thread: {type: "create"}`, and each
 * later turn is `thread: {type: "continue", previous_message_id}` carrying only the new messages,
 * without `system` or `tools`. Only Anthropic holds a thread: any other upstream would get the
 * last turn alone and answer as if the conversation had just begun. There ccp refuses the
 * request with `error.details.error_code: "thread_unsupported_request"`, on which the SDK sends
 * the whole conversation without `thread`; a passthrough to Anthropic gets the request as sent.
 */

import assert from "node:assert/strict";
import type { ProviderConfig } from "../../src/config/types.ts";
import { refusedParameter } from "../../src/upstream/http/refused_params.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Obj = Record<string, unknown>;

/** The headers the SDK's tool runner sends (its own, besides the key and content type). */
const SDK_HEADERS = {
  "anthropic-version": "2026-10-21",
  "anthropic-beta": "message-threads-2026-08-12",
  "x-stainless-helper": "BetaToolRunner, message-thread",
  "x-stainless-package-version": "1.17.0",
};

const TOOLS = [{
  name: "Bash",
  description: "run",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

/** The tool runner's first request: the whole conversation so far, and `thread: create`. */
const CREATE = {
  model: "m",
  max_tokens: 100,
  tools: TOOLS,
  messages: [{ role: "user", content: "List the files." }],
  thread: { type: "create" },
  stream: false,
};

/** Its second: only the tool's result, continuing from the reply's id. */
const CONTINUE = {
  model: "m",
  max_tokens: 100,
  messages: [{
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }],
  }],
  thread: { type: "continue", previous_message_id: "msg_up_1" },
  stream: false,
};

/** An upstream speaking Anthropic Messages, Chat Completions and Gemini, recording what it got. */
function startUpstream() {
  const seen: Array<{ path: string; headers: Headers; body: Obj }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    seen.push({ path, headers: req.headers, body: await req.json() });
    if (path.endsWith("/chat/completions")) {
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "ok" },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      });
    }
    if (path.endsWith(":generateContent")) {
      return Response.json({
        candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 },
      });
    }
    return Response.json({
      id: `msg_up_${seen.length}`,
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, seen, close: () => server.shutdown() };
}

async function withCcp(
  providers: (url: string) => ProviderConfig[],
  routes: Record<string, string | string[]>,
  run: (
    post: (body: Obj) => Promise<Response>,
    seen: ReturnType<typeof startUpstream>["seen"],
  ) => Promise<void>,
) {
  const up = startUpstream();
  try {
    const { app } = testApp(testConfig({ providers: providers(up.url), routes }));
    const post = (body: Obj) =>
      app.fetch(
        new Request("http://ccp/v1/messages?beta=true", {
          method: "POST",
          headers: { "x-api-key": "k", "content-type": "application/json", ...SDK_HEADERS },
          body: JSON.stringify(body),
        }),
      );
    await run(post, up.seen);
  } finally {
    await up.close();
  }
}

const chat = (url: string) =>
  provider("chat", { type: "openai", baseUrl: `${url}/v1`, apiKeys: ["k1"], maxRetries: 0 });
const gemini = (url: string) =>
  provider("gem", { type: "gemini", baseUrl: url, apiKeys: ["k2"], maxRetries: 0 });
/** A gateway in front of Anthropic's API, declared as one (`server_tools: true`). */
const anthropic = (url: string) =>
  provider("anth", {
    type: "anthropic",
    baseUrl: url,
    apiKeys: ["k3"],
    maxRetries: 0,
    serverTools: true,
  });

/** The refusal the SDK reads: a 400 whose `error.details` names the thread as unsupported. */
async function assertRefused(res: Response, who: string) {
  assert.equal(res.status, 400);
  const error = (await res.json()).error;
  assert.equal(error.type, "invalid_request_error");
  assert.deepEqual(error.details, {
    error_code: "thread_unsupported_request",
    unsupported: ["thread"],
  });
  assert.match(error.message, new RegExp(`Provider "${who}" \\(model m\\) cannot hold`));
  assert.match(error.message, /without `thread`/);
}

Deno.test("threads: a translated target refuses `thread` as unsupported, and serves the replay", async () => {
  for (const make of [chat, gemini]) {
    const id = make("").id;
    await withCcp((url) => [make(url)], { default: `${id}/m` }, async (post, seen) => {
      await assertRefused(await post(CREATE), id);
      await assertRefused(await post(CONTINUE), id);
      // Neither reached the model: it would have answered a conversation it never saw.
      assert.equal(seen.length, 0);
      // The SDK's replay: the whole conversation, no `thread`.
      const { thread: _, ...whole } = CREATE;
      const res = await post(whole);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(seen.length, 1);
    });
  }
});

Deno.test("threads: a gateway in front of Anthropic gets `thread`, its beta and the continue as sent", async () => {
  await withCcp((url) => [anthropic(url)], { default: "anth/m" }, async (post, seen) => {
    const first = await (await post(CREATE)).json();
    assert.equal(first.id, "msg_up_1", "the reply's id is what the thread continues from");
    assert.equal((await post(CONTINUE)).status, 200);
    assert.deepEqual(seen.map((s) => s.body.thread), [CREATE.thread, CONTINUE.thread]);
    assert.deepEqual(seen[1]!.body.messages, CONTINUE.messages);
    for (const s of seen) {
      assert.match(s.headers.get("anthropic-beta") ?? "", /message-threads-2026-08-12/);
    }
  });
});

Deno.test("threads: an Anthropic-compatible server not known to reach Anthropic refuses them", async () => {
  // DeepSeek's Anthropic API takes its documented fields only; MiniMax's ignores what it does not
  // know; a server without a preset may be either.
  const others = (url: string) => [
    provider("ds", { type: "anthropic", preset: "deepseek", baseUrl: url, apiKeys: ["k4"] }),
    provider("mm", { type: "anthropic", preset: "minimax", baseUrl: url, apiKeys: ["k5"] }),
    provider("any", { type: "anthropic", baseUrl: url, apiKeys: ["k6"] }),
  ];
  for (const id of ["ds", "mm", "any"]) {
    await withCcp(others, { default: `${id}/m` }, async (post, seen) => {
      await assertRefused(await post(CONTINUE), id);
      assert.equal(seen.length, 0);
    });
  }
});

Deno.test("threads: Anthropic's own API gets them as sent", async () => {
  // The `anthropic` preset, its base URL pointed at the test's server; ccp running the server
  // tools itself (`server_tools: false`) changes nothing for threads.
  const real = (url: string) =>
    provider("claude", {
      type: "anthropic",
      preset: "anthropic",
      baseUrl: url,
      apiKeys: ["k7"],
      serverTools: false,
    });
  await withCcp((url) => [real(url)], { default: "claude/m" }, async (post, seen) => {
    assert.equal((await post(CREATE)).status, 200);
    assert.deepEqual(seen.map((s) => s.body.thread), [CREATE.thread]);
  });
});

Deno.test("threads: a route whose first target cannot hold a thread moves on to one that can", async () => {
  await withCcp(
    (url) => [chat(url), anthropic(url)],
    { default: ["chat/m", "anth/m"] },
    async (post, seen) => {
      const res = await post(CONTINUE);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "anth");
      assert.deepEqual(seen.map((s) => s.path), ["/v1/messages"]);
    },
  );
});

Deno.test("threads: a server refusing `thread` as an extra input is not sent the turn without it", () => {
  const refusal = JSON.stringify({
    type: "error",
    error: { type: "invalid_request_error", message: "thread: Extra inputs are not permitted" },
  });
  assert.equal(refusedParameter(refusal, CONTINUE), undefined);
  // Another optional field in the same words is still left out and sent again.
  const other = refusal.replace("thread:", "top_k:");
  assert.equal(refusedParameter(other, { ...CONTINUE, top_k: 5 }), "top_k");
});
