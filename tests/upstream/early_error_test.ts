/** A 200 answer whose start is an error: turned into that error before anything is relayed. */

import assert from "node:assert/strict";
import { earlyError } from "../../src/upstream/http/early_error.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const encoder = new TextEncoder();
const SSE = { "content-type": "text/event-stream; charset=utf-8" };

/** A body start made of `chunks`, counting how many chunks were read past the first. */
function startOf(chunks: string[]) {
  const bytes = chunks.map((c) => encoder.encode(c));
  let next = 1;
  const start = {
    first: bytes[0],
    readAhead: () => Promise.resolve(bytes[next++]),
    get readsAhead() {
      return next - 1;
    },
  };
  return start;
}

const stream200 = (headers: Record<string, string> = SSE) =>
  new Response(null, { status: 200, headers });

Deno.test("early stream error: the first event decides, from each API's error shape", async (t) => {
  const cases: Array<[string, string[], number]> = [
    [
      "Anthropic overloaded",
      [
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      ],
      529,
    ],
    [
      "OpenRouter: keep-alive comments, then an error split across chunks",
      [
        ": OPENROUTER PROCESSING\n\n",
        ': OPENROUTER PROCESSING\n\ndata: {"id":"gen-1","error":{"code":429,',
        '"message":"Rate limit exceeded: free-models-per-day"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n',
      ],
      429,
    ],
    [
      "Gemini",
      [
        'data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}\r\n\r\n',
      ],
      503,
    ],
    [
      "Responses API error event with a code in words",
      [
        'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}\n\n',
      ],
      429,
    ],
    [
      "a refused key, named in words: the key's fault, so it rotates",
      [
        'data: {"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}\n\n',
      ],
      401,
    ],
    [
      "a status given as a string",
      ['data: {"error":{"code":"429","message":"Too many requests"}}\n\n'],
      429,
    ],
    [
      "an error without a status or type",
      ['data: {"error":"upstream connect error"}\n\n'],
      502,
    ],
  ];
  for (const [name, chunks, status] of cases) {
    await t.step(name, async () => {
      const upstream = stream200({ ...SSE, "retry-after": "7", "content-length": "99" });
      const answer = await earlyError(upstream, startOf(chunks));
      assert.ok(answer, "an error answer");
      assert.equal(answer.status, status);
      assert.equal(answer.headers.get("content-type"), "application/json");
      assert.equal(answer.headers.get("retry-after"), "7");
      assert.equal(answer.headers.get("content-length"), null);
      const body = await answer.json();
      assert.ok(body.error ?? body.type === "error");
    });
  }
});

Deno.test("early stream error: a healthy stream is handed on after its first chunk", async (t) => {
  await t.step("Anthropic message_start", async () => {
    const start = startOf([
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","content":[]}}\n\n',
      "event: ping\n",
    ]);
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 0);
  });
  await t.step("a first text that mentions errors is not an error", async () => {
    const start = startOf([
      'data: {"choices":[{"delta":{"content":"the \\"error\\" was"}}],"error":null}\n\n',
    ]);
    assert.equal(await earlyError(stream200(), start), undefined);
  });
  await t.step("a first data line still incomplete waits for the next chunk", async () => {
    const start = startOf(['data: {"choices":[{"delta":', '{"content":"hi"}}]}\n\n']);
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 1);
  });
  await t.step("only 64 KiB of keep-alives are held", async () => {
    const comment = `: ${"x".repeat(1022)}\n`;
    const start = startOf(Array.from({ length: 100 }, () => comment));
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 63);
  });
  await t.step("a model still silent after the hold has its stream handed on", async () => {
    const start = {
      first: encoder.encode(": OPENROUTER PROCESSING\n\n"),
      readAhead: () => new Promise<Uint8Array | undefined>(() => {}),
    };
    const began = performance.now();
    assert.equal(await earlyError(stream200(), start, 30), undefined);
    assert.ok(performance.now() - began >= 29);
  });
});

Deno.test("early stream error: a stream with no event before its end is a failed answer", async (t) => {
  for (
    const [name, chunks] of [
      ["it ends after a comment", [": bye\n\n"]],
      ["it says [DONE] first", [": x\n\n", "data: [DONE]\n\n"]],
    ] as const
  ) {
    await t.step(name, async () => {
      const answer = await earlyError(stream200(), startOf([...chunks]));
      assert.equal(answer?.status, 502);
      assert.match((await answer!.json()).error.message, /ended before its first event/);
    });
  }
});

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

const chatChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`;

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

/** POSTs `body` to ccp's /v1/messages. */
const postMessages = (url: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });

Deno.test("early stream error: a translated stream fails over before the client sees anything", async () => {
  const a = scriptedSse([OPENROUTER_429]);
  const b = scriptedSse([[
    chatChunk({ role: "assistant", content: "" }),
    chatChunk({ content: "from b" }),
    chatChunk({}, "stop"),
    "data: [DONE]\n\n",
  ]]);
  const config = testConfig({
    providers: [
      provider("a", { type: "openai", baseUrl: `${a.url}/v1`, apiKeys: ["k-a"], maxRetries: 0 }),
      provider("b", { type: "openai", baseUrl: `${b.url}/v1`, apiKeys: ["k-b"], maxRetries: 0 }),
    ],
    routes: { default: ["a/m1", "b/m2"] },
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, streamRequest("claude-sonnet-4-5"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "b");
    const events = parseSse(await res.text());
    assert.equal(events[0]!.event, "message_start");
    assert.ok(!events.some((e) => e.event === "error"), "no error reaches the client");
    const text = events.filter((e) => e.event === "content_block_delta")
      .map((e) => (e.data.delta as { text: string }).text).join("");
    assert.equal(text, "from b");
    // The debug line says what the upstream really did.
    const said = "→ 429 (answered HTTP 200, then an error as its first event)";
    assert.ok(ccp.logs.some((line) => line.includes(said)), ccp.logs.join(""));
    assert.equal(a.seen.length, 1);
    assert.equal(b.seen.length, 1);
  } finally {
    await ccp.close();
    await a.close();
    await b.close();
  }
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

Deno.test("early error: a 200 JSON answer whose body is an error is that error", async (t) => {
  const json = (status = 200) =>
    new Response(null, { status, headers: { "content-type": "application/json" } });
  await t.step("OpenRouter's error body", async () => {
    const answer = await earlyError(
      json(),
      startOf(['{"error":{"code":429,"message":"Rate limit exceeded"},"user_id":"u1"}']),
    );
    assert.equal(answer?.status, 429);
    assert.equal((await answer!.json()).error.message, "Rate limit exceeded");
  });
  await t.step("Anthropic's error shape", async () => {
    const answer = await earlyError(
      json(),
      startOf(['{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}']),
    );
    assert.equal(answer?.status, 529);
  });
  await t.step("an answer, even one that speaks of errors, passes", async () => {
    const message = JSON.stringify({
      id: "chatcmpl-1",
      choices: [{ message: { role: "assistant", content: 'the "error" is fixed' } }],
      error: null,
    });
    assert.equal(await earlyError(json(), startOf([message])), undefined);
    // Only part of a larger answer in the first chunk: not parsed as a whole, so it passes.
    assert.equal(await earlyError(json(), startOf([message.slice(0, 40)])), undefined);
  });
  await t.step("neither JSON nor a stream: not looked at", () => {
    const text = new Response(null, { status: 200, headers: { "content-type": "text/plain" } });
    assert.equal(earlyError(text, startOf(['{"error":{"code":429}}'])), undefined);
  });
});

Deno.test("early error: a 200 JSON error fails over like the HTTP error it names", async () => {
  const bad = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({ error: { code: 429, message: "Rate limit exceeded" } });
  });
  const good = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({
      id: "c",
      object: "chat.completion",
      model: "m",
      choices: [{
        index: 0,
        message: { role: "assistant", content: "from good" },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 3, completion_tokens: 2 },
    });
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

Deno.test("early error: a first event with `error: null` is not read as an error", async () => {
  const created = `event: response.created\ndata: ${
    JSON.stringify({
      type: "response.created",
      response: { id: "resp_1", status: "in_progress", error: null, instructions: "x".repeat(500) },
    })
  }\n\n`;
  const upstream = stream200();
  assert.equal(await earlyError(upstream, startOf([created])), undefined);
  // The same words at the top level are an error; spaces around the colon change nothing.
  const failed = 'data: {"error" : {"code": "rate_limit_exceeded", "message": "slow"}}\n\n';
  assert.equal((await earlyError(stream200(), startOf([failed])))?.status, 429);
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
