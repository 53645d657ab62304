/**
 * A 200 answer whose start is an error is turned into that error before anything is relayed:
 * `earlyError` on a body start, from each API's error shape, streamed or JSON. What ccp then does
 * with it (failover, an HTTP error to the client) is in early_error_e2e_test.ts.
 */

import assert from "node:assert/strict";
import { earlyError } from "../../src/upstream/http/early_error.ts";

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

const MESSAGE_START =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","content":[]}}\n\n';
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';

/** A Chat Completions chunk with one choice whose delta is `delta`. */
const chatChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

Deno.test("early stream error: an error after the opening events is the answer's error", async (t) => {
  for (
    const [name, chunks, status] of [
      [
        "Anthropic overloaded_error after message_start",
        [
          MESSAGE_START,
          'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        ],
        529,
      ],
      [
        "an OpenRouter error after the role chunk",
        [
          `data: ${chatChunk({ role: "assistant", content: "" })}\n\n` +
          'data: {"error":{"code":429,"message":"Rate limit exceeded"}}\n\n',
        ],
        429,
      ],
      [
        "Responses response.failed after response.created",
        [
          'data: {"type":"response.created","response":{"id":"r1","error":null}}\n\n',
          'data: {"type":"response.in_progress","response":{"id":"r1"}}\n\n',
          'data: {"type":"error","code":"server_error","message":"boom"}\n\n',
        ],
        500,
      ],
      ["message_start, then the stream ends", [MESSAGE_START + PING], 502],
    ] as const
  ) {
    await t.step(name, async () => {
      const answer = await earlyError(stream200(), startOf([...chunks]));
      assert.equal(answer?.status, status);
    });
  }
  for (
    const [file, status, words] of [
      ["failed_at_start.sse", 500, "An error occurred while processing your request."],
      ["rate_limited_at_start.sse", 429, "Rate limit reached for gpt-5.1-codex"],
    ] as const
  ) {
    await t.step(
      `a Responses stream whose first answer event is response.failed (${file})`,
      async () => {
        const text = Deno.readTextFileSync(
          new URL(`../fixtures/openai_responses/${file}`, import.meta.url),
        );
        const answer = await earlyError(stream200(), startOf(text.split(/(?<=\n\n)/)));
        assert.equal(answer?.status, status);
        // The error read out of the failed response, in the shape any error body has.
        const body = await answer!.json();
        assert.ok(body.error.message.startsWith(words), JSON.stringify(body));
      },
    );
  }
  await t.step("a role chunk with a finish reason is the answer, not an opening", async () => {
    const start = startOf([`data: ${chatChunk({ role: "assistant", content: "" }, "stop")}\n\n`]);
    assert.equal(await earlyError(stream200(), start), undefined);
  });
});

Deno.test("early stream error: a healthy stream is handed on after its first chunk", async (t) => {
  await t.step("Anthropic message_start with its first block", async () => {
    const start = startOf([
      MESSAGE_START + PING +
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
      '"content_block":{"type":"text","text":""}}\n\n',
      "event: ping\n",
    ]);
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 0);
  });
  await t.step("the opening events, then the first block in the next chunk", async () => {
    const start = startOf([
      MESSAGE_START + PING,
      'event: content_block_start\ndata: {"type":"content_block_start","index":0}\n\n',
      "event: ping\n",
    ]);
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 1);
  });
  await t.step("a Chat chunk naming the role, then content", async () => {
    const start = startOf([
      `data: ${chatChunk({ role: "assistant", content: "", refusal: null })}\n\n`,
      `data: ${chatChunk({ content: "Hi" })}\n\n`,
      "data: [DONE]\n\n",
    ]);
    assert.equal(await earlyError(stream200(), start), undefined);
    assert.equal(start.readsAhead, 1);
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
  await t.step(
    "an error body in pieces is read until whole: an over-long prompt is a 400",
    async () => {
      const body = JSON.stringify({
        error: {
          message: "This model's maximum context length is 32768 tokens. However, you requested " +
            "50000 tokens. Please reduce the length of the messages.",
        },
      });
      const start = startOf([body.slice(0, 12), body.slice(12, 60), body.slice(60)]);
      const answer = await earlyError(json(), start);
      assert.equal(start.readsAhead, 2);
      assert.equal(answer?.status, 400);
      assert.deepEqual(await answer!.json(), JSON.parse(body));
    },
  );
  await t.step("an answer in pieces that mentions an error member is not read ahead", async () => {
    const message = JSON.stringify({
      id: "msg_1",
      type: "message",
      content: [{ type: "tool_use", id: "t", name: "Log", input: { error: "disk full" } }],
    });
    const cut = message.indexOf("disk full"); // after `"error":`, before the answer is whole
    const start = startOf([message.slice(0, cut), message.slice(cut)]);
    assert.equal(await earlyError(json(), start), undefined);
    assert.equal(start.readsAhead, 0);
  });
  await t.step("neither JSON nor a stream: not looked at", () => {
    const text = new Response(null, { status: 200, headers: { "content-type": "text/plain" } });
    assert.equal(earlyError(text, startOf(['{"error":{"code":429}}'])), undefined);
  });
});

Deno.test("early error: a first event with `error: null` is not read as an error", async () => {
  const created = `event: response.created\ndata: ${
    JSON.stringify({
      type: "response.created",
      response: { id: "resp_1", status: "in_progress", error: null, instructions: "x".repeat(500) },
    })
  }\n\n`;
  const text = 'data: {"type":"response.output_text.delta","delta":"Hi"}\n\n';
  const upstream = stream200();
  assert.equal(await earlyError(upstream, startOf([created, text])), undefined);
  // The same words at the top level are an error; spaces around the colon change nothing.
  const failed = 'data: {"error" : {"code": "rate_limit_exceeded", "message": "slow"}}\n\n';
  assert.equal((await earlyError(stream200(), startOf([failed])))?.status, 429);
});
