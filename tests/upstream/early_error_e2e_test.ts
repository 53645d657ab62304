/**
 * A 200 answer whose start is an error, through the real server: it fails over before the
 * client sees anything, reaches the client as an HTTP error when there is nowhere to go, sets a
 * refused key aside, and a client that leaves while the start is held cancels the upstream.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textTurn } from "../mocks/anthropic_fixtures.ts";
import { chatChunk } from "../mocks/openai_mock.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";
import type { ProviderConfig } from "../../src/config/types.ts";

const encoder = new TextEncoder();
const SSE = { "content-type": "text/event-stream; charset=utf-8" };

/** Serves each request the next script: raw SSE chunks sent 5 ms apart with status 200. */
function scriptedSse(scripts: string[][]) {
  let served = 0;
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.push(new URL(req.url).pathname);
    await req.body?.cancel();
    const chunks = scripts[Math.min(served++, scripts.length - 1)]!;
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= chunks.length) return controller.close();
        if (i > 0) await new Promise((r) => setTimeout(r, 5));
        controller.enqueue(encoder.encode(chunks[i++]!));
      },
    });
    return new Response(body, { headers: SSE });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** A Chat Completions answer "from b", in the chunks a stream brings it in. */
const FROM_B = [
  chatChunk({ role: "assistant", content: "" }),
  chatChunk({ content: "from b" }),
  chatChunk({}, "stop"),
  "data: [DONE]\n\n",
];

const OPENROUTER_429 = [
  ": OPENROUTER PROCESSING\n\n",
  `data: ${
    JSON.stringify({
      id: "gen-1",
      object: "chat.completion.chunk",
      error: { code: 429, message: "Rate limit exceeded: free-models-per-day" },
      choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
    })
  }\n\n`,
  "data: [DONE]\n\n",
];

const streamRequest = (model: string) => ({
  model,
  max_tokens: 64,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
});

type Upstream = ReturnType<typeof scriptedSse>;
type Events = ReturnType<typeof parseSse>;

/** The text of the answer's text deltas. */
const textOf = (events: Events) =>
  events.filter((e) => e.event === "content_block_delta")
    .map((e) => (e.data.delta as { text: string }).text).join("");

/**
 * Streams one request on the route `a/<model>` then `b/<model>`, and closes all after: b alone
 * answers the client, with no error event, each upstream asked once. Returns the events and
 * ccp's log lines.
 */
async function failOverToB(
  a: { up: Upstream; type: ProviderConfig["type"]; model: string },
  b: { up: Upstream; type: ProviderConfig["type"] },
): Promise<{ events: Events; logs: string[] }> {
  const base = (up: Upstream, type: ProviderConfig["type"]) =>
    type === "anthropic" ? up.url : `${up.url}/v1`;
  const ccp = startCcp(testConfig({
    providers: [
      provider("a", { type: a.type, baseUrl: base(a.up, a.type), apiKeys: ["k-a"], maxRetries: 0 }),
      provider("b", { type: b.type, baseUrl: base(b.up, b.type), apiKeys: ["k-b"], maxRetries: 0 }),
    ],
    routes: { default: [`a/${a.model}`, "b/m2"] },
  }));
  try {
    const res = await postMessages(ccp.url, streamRequest("claude-sonnet-4-5"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "b");
    const events = parseSse(await res.text());
    assert.ok(!events.some((e) => e.event === "error"), "no error reaches the client");
    assert.deepEqual([a.up.seen.length, b.up.seen.length], [1, 1]);
    return { events, logs: ccp.logs };
  } finally {
    await ccp.close();
    await a.up.close();
    await b.up.close();
  }
}

/** POSTs `body` to ccp's /v1/messages. */
const postMessages = (url: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });

Deno.test("early stream error: a translated stream fails over before the client sees anything", async () => {
  const { events, logs } = await failOverToB(
    { up: scriptedSse([OPENROUTER_429]), type: "openai", model: "m1" },
    { up: scriptedSse([FROM_B]), type: "openai" },
  );
  assert.equal(events[0]!.event, "message_start");
  assert.equal(textOf(events), "from b");
  // The debug line says what the upstream really did.
  const said = "→ 429 (answered HTTP 200, then an error as its first event)";
  assert.ok(logs.some((line) => line.includes(said)), logs.join(""));
});

Deno.test("early stream error: Anthropic's overloaded_error after message_start fails over too", async () => {
  const turn = textTurn("m", 2);
  const opening = encodeEvents(turn.slice(0, 2)); // message_start and ping
  const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
  // As Anthropic sends it: the opening events, then the error while the model is overloaded.
  const { events } = await failOverToB(
    {
      up: scriptedSse([[opening, encodeEvents([{ event: "error", data: overloaded }])]]),
      type: "anthropic",
      model: "m1",
    },
    {
      up: scriptedSse([[opening, ...turn.slice(2).map((e) => encodeEvents([e]))]]),
      type: "anthropic",
    },
  );
  assert.equal(
    events.filter((e) => e.event === "message_start").length,
    1,
    "one message_start: nothing of a's answer reached the client",
  );
  assert.equal(textOf(events), "token0 token1 ");
  assert.equal(events.at(-1)!.event, "message_stop");
});

Deno.test("early stream error: with nowhere to fail over, the client gets it as an HTTP error", async (t) => {
  const overflow = [
    'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error",' +
    '"message":"prompt is too long: 210000 tokens > 200000 maximum"}}\n\n',
  ];
  const limited = [
    'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n',
  ];
  const failed = [
    'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"busy"}}\n\n',
  ];
  for (
    const [name, script, status, type] of [
      ["an over-long prompt", overflow, 400, "invalid_request_error"],
      ["a rate limit", limited, 429, "rate_limit_error"],
      ["a server error, named as what the upstream did", failed, 502, "api_error"],
    ] as const
  ) {
    await t.step(name, async () => {
      const a = scriptedSse([script]);
      const config = testConfig({
        providers: [provider("a", { baseUrl: a.url, apiKeys: ["k-a"], maxRetries: 0 })],
        routes: { default: "a/m1" },
      });
      const ccp = startCcp(config);
      try {
        const res = await postMessages(ccp.url, streamRequest("claude-sonnet-4-5"));
        assert.equal(res.status, status);
        const body = await res.json();
        assert.equal(body.type, "error");
        assert.equal(body.error.type, type);
        if (script === overflow) assert.match(body.error.message, /^prompt is too long: /);
        else if (status === 502) {
          assert.match(
            body.error.message,
            /Provider "a" \(model m1\) answered HTTP 200, then an error as its first event: busy/,
          );
        } // Handled as an HTTP 429 is: the key is set aside and the message says until when.
        else if (status === 429) assert.match(body.error.message, /provider "a".*429/);
      } finally {
        await ccp.close();
        await a.close();
      }
    });
  }
});

Deno.test("early error: an error naming no status that reads as an over-long prompt is that 400", async (t) => {
  // LM Studio streams its refusal so, and without streaming may answer it in a 200 body too.
  const words =
    "Trying to keep the first 40000 tokens when context the overflows. However, the model is loaded with context length of only 32768 tokens, which is not enough.";
  const cases: Array<[string, string, boolean, number, RegExp]> = [
    [
      "as a stream's first event",
      `event: error\ndata: ${JSON.stringify({ error: words })}\n\n`,
      true,
      400,
      /^prompt is too long: 40000 tokens > 32768 maximum \(.*first event: Trying to keep/,
    ],
    [
      "as a 200 JSON body",
      JSON.stringify({ error: words }),
      false,
      400,
      /^prompt is too long: 40000 tokens > 32768 maximum \(.*as its body: Trying to keep/,
    ],
    [
      "other words stay a failed answer",
      `event: error\ndata: ${JSON.stringify({ error: "Model unloaded" })}\n\n`,
      true,
      502,
      /answered HTTP 200, then an error as its first event: Model unloaded$/,
    ],
  ];
  for (const [name, body, stream, status, pattern] of cases) {
    await t.step(name, async () => {
      const up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
        await req.body?.cancel();
        return new Response(body, {
          headers: { "content-type": stream ? SSE["content-type"] : "application/json" },
        });
      });
      const ccp = startCcp(testConfig({
        providers: [provider("a", {
          type: "openai",
          baseUrl: `http://127.0.0.1:${up.addr.port}/v1`,
          maxRetries: 0,
        })],
        routes: { default: "a/m" },
      }));
      try {
        const res = await postMessages(ccp.url, { ...streamRequest("x"), stream });
        assert.equal(res.status, status);
        const error = (await res.json()).error;
        assert.equal(error.type, status === 400 ? "invalid_request_error" : "api_error");
        assert.match(error.message, pattern);
      } finally {
        await ccp.close();
        await up.shutdown();
      }
    });
  }
});

Deno.test("early error: a 200 JSON error fails over like the HTTP error it names", async () => {
  const bad = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({ error: { code: 429, message: "Rate limit exceeded" } });
  });
  const good = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return chatAnswer(false, { content: "from good" }, "stop");
  });
  const url = (server: Deno.HttpServer<Deno.NetAddr>) => `http://127.0.0.1:${server.addr.port}/v1`;
  const ccp = startCcp(testConfig({
    providers: [
      provider("bad", { type: "openai", baseUrl: url(bad), apiKeys: ["k"], maxRetries: 0 }),
      provider("good", { type: "openai", baseUrl: url(good), apiKeys: ["k"], maxRetries: 0 }),
    ],
    routes: { default: ["bad/m", "good/m"] },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "x",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "good");
    assert.equal((await res.json()).content[0].text, "from good");
  } finally {
    await ccp.close();
    await bad.shutdown();
    await good.shutdown();
  }
});

Deno.test("early error: a client that leaves while the start is held cancels the upstream", async () => {
  let cancelled: (() => void) | undefined;
  const gone = new Promise<void>((resolve) => (cancelled = resolve));
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      let timer: ReturnType<typeof setInterval> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          // Keep-alives only, as OpenRouter sends while a model has not started.
          timer = setInterval(() => controller.enqueue(encoder.encode(": PROCESSING\n\n")), 50);
        },
        cancel() {
          clearInterval(timer);
          cancelled!();
        },
      });
      return new Response(body, { headers: SSE });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [
      provider("a", { baseUrl: `http://127.0.0.1:${upstream.addr.port}`, apiKeys: ["k"] }),
    ],
    routes: { default: "a/m1" },
  }));
  try {
    const client = new AbortController();
    const request = streamRequest("claude-sonnet-4-5");
    const answer = postMessages(ccp.url, request, client.signal).catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort();
    await answer;
    const left = await Promise.race([
      gone.then(() => "cancelled"),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 3000)),
    ]);
    assert.equal(left, "cancelled");
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});

Deno.test("early error: a refused key inside a 200 stream sets that key aside, like a 401", async () => {
  const seen: string[] = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      const key = req.headers.get("x-api-key") ??
        (req.headers.get("authorization") ?? "").replace("Bearer ", "");
      seen.push(key);
      const first = key === "revoked"
        ? 'data: {"error":{"message":"Incorrect API key provided","type":"invalid_request_error",' +
          '"code":"invalid_api_key"}}\n\n'
        : 'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,' +
          '"delta":{"content":"hello"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
      return new Response(first, { headers: SSE });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [
      provider("p", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${upstream.addr.port}/v1`,
        apiKeys: ["revoked", "valid"],
        maxRetries: 0,
      }),
    ],
    routes: { default: "p/m" },
  }));
  try {
    for (let turn = 0; turn < 2; turn++) {
      const res = await postMessages(ccp.url, {
        model: "x",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /hello/);
    }
    // The first turn met the revoked key and moved on; the second went straight to the valid one.
    assert.deepEqual(seen, ["revoked", "valid", "valid"]);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});

/** The SSE events of a recorded-style Responses fixture, one chunk each. */
const responsesFixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/openai_responses/${name}`, import.meta.url))
    .split(/(?<=\n\n)/);

Deno.test("early stream error: a Responses answer that fails before its first output fails over", async (t) => {
  for (const file of ["failed_at_start.sse", "rate_limited_at_start.sse"]) {
    await t.step(file, async () => {
      const { events } = await failOverToB(
        {
          up: scriptedSse([responsesFixture(file)]),
          type: "openai_responses",
          model: "gpt-5.1-codex",
        },
        { up: scriptedSse([FROM_B]), type: "openai" },
      );
      assert.equal(textOf(events), "from b");
    });
  }
  await t.step("with nowhere to go, an over-long prompt is Anthropic's 400", async () => {
    const overflow = responsesFixture("failed_at_start.sse").map((chunk) =>
      chunk.replace(
        /"code":"server_error","message":"[^"]*"/,
        '"code":"context_length_exceeded","message":"Your input exceeds the context window of ' +
          'this model. Please adjust your input and try again."',
      )
    );
    const a = scriptedSse([overflow]);
    const config = testConfig({
      providers: [
        provider("a", {
          type: "openai_responses",
          baseUrl: `${a.url}/v1`,
          apiKeys: ["k-a"],
          maxRetries: 0,
        }),
      ],
      routes: { default: "a/gpt-5.1-codex" },
    });
    const ccp = startCcp(config);
    try {
      const res = await postMessages(ccp.url, streamRequest("claude-sonnet-4-5"));
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error.type, "invalid_request_error");
      assert.match(body.error.message, /^prompt is too long/);
    } finally {
      await ccp.close();
      await a.close();
    }
  });
});
