import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { primedGuard } from "../../src/resilience/body_guard.ts";
import {
  encodeEvents,
  openingMessage,
  type SseEvent,
  thinkingTextToolMessage,
  thinkingTextToolTurn,
} from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const enc = new TextEncoder();

function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = enc.encode(text);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.slice(i, i + size));
  return ReadableStream.from(parts);
}

async function relayText(stream: ReadableStream<Uint8Array>, options = {}): Promise<string> {
  return await new Response(
    relayAnthropicStream(stream, { clientModel: "claude-x", describeUpstream: "Up", ...options }),
  ).text();
}

Deno.test("relay: any chunking gives the same events, model rewritten, usage read", async () => {
  const events = thinkingTextToolTurn("upstream-model");
  const text = encodeEvents(events);
  const want = events.map((e) => structuredClone(e));
  (want[0]!.data.message as Record<string, unknown>).model = "claude-x";
  for (const size of [1, 2, 3, 7, 64, 1000, text.length]) {
    let usage = {};
    const got = parseSse(
      await relayText(chunked(text, size), { onEnd: (o: { usage: object }) => (usage = o.usage) }),
    );
    assert.deepEqual(got, want, `chunk size ${size}`);
    assert.deepEqual(
      usage,
      { inputTokens: 2095, outputTokens: 89, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      `usage at chunk size ${size}`,
    );
  }
});

Deno.test("relay: an upstream body under its timeouts is read without its stream, all of it", async () => {
  const events = thinkingTextToolTurn("upstream-model");
  const guarded = primedGuard(chunked(encodeEvents(events), 64), { provider: "p", idleMs: 60_000 });
  const got = parseSse(await relayText(guarded.body));
  assert.equal(got.length, events.length);
  assert.equal(got.at(-1)?.event, "message_stop");
  // Read through the guard's direct reader: each chunk skips one stream hop (its promises and
  // queue), and the body's stream is never locked.
  assert.equal(guarded.body.locked, false);
});

Deno.test("relay: an error mid-event is closed off before the error frame", async () => {
  const text = encodeEvents(thinkingTextToolTurn("m")).slice(0, 900);
  let sent = 0;
  const parts = [enc.encode(text.slice(0, 600)), enc.encode(text.slice(600))];
  const broken = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent < parts.length) c.enqueue(parts[sent++]!);
      else c.error(new Error("connection reset"));
    },
  });
  const out = await relayText(broken);
  const last = out.slice(out.lastIndexOf("event: error"));
  assert.match(
    last,
    /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Up failed mid-stream: connection reset"\}\}\n\n$/,
  );
  assert.ok(out.includes("\n\nevent: error"), "error frame starts on an event boundary");
});

Deno.test("relay: an upstream's error event names the provider and model, keeping its type", async (t) => {
  const opened = encodeEvents(thinkingTextToolTurn("m").slice(0, 3));
  const failing = (type: string, message: string) =>
    `${opened}event: error\ndata: ${
      JSON.stringify({ type: "error", error: { type, message } })
    }\n\n`;
  const lastError = async (text: string) => {
    const got = parseSse(
      await relayText(chunked(text, 50), { describeUpstream: 'Provider "glm" (model glm-4.6)' }),
    );
    return got.at(-1)!;
  };
  await t.step("overloaded: whose it is, with the upstream's words", async () => {
    const last = await lastError(failing("overloaded_error", "Overloaded"));
    assert.equal(last.event, "error");
    assert.deepEqual(last.data, {
      type: "error",
      error: {
        type: "overloaded_error",
        message: 'Provider "glm" (model glm-4.6) reported an error mid-stream: Overloaded',
      },
    });
  });
  await t.step(
    "prompt is too long: Anthropic's words as they came (Claude Code compacts on them)",
    async () => {
      const words = "prompt is too long: 210000 tokens > 200000 maximum";
      const last = await lastError(failing("invalid_request_error", words));
      assert.deepEqual(last.data, {
        type: "error",
        error: { type: "invalid_request_error", message: words },
      });
    },
  );
  await t.step(
    "a gateway's own type for an overload, or a rate limit saying so, is overloaded_error; other errors keep theirs",
    async () => {
      const typeOf = async (type: string, message: string) =>
        ((await lastError(failing(type, message))).data as { error: { type: string } }).error.type;
      assert.equal(await typeOf("api_error", "Overloaded"), "overloaded_error");
      assert.equal(await typeOf("server_error", "upstream at capacity"), "overloaded_error");
      assert.equal(await typeOf("api_error", "Internal server error"), "api_error");
      // A rate limit that says the provider is overloaded, as the same 429 before the stream.
      assert.equal(await typeOf("rate_limit_error", "overloaded"), "overloaded_error");
      assert.equal(await typeOf("rate_limit_error", "Too many requests"), "rate_limit_error");
      assert.equal(await typeOf("authentication_error", "overloaded"), "api_error");
    },
  );
  await t.step("another server's words for an over-long prompt lead with Anthropic's", async () => {
    const ollama = "The prompt is too long: 208863, model maximum context length: 202752";
    const llama = "request (33000 tokens) exceeds the available context size (32768 tokens)";
    for (
      const [words, start] of [
        [ollama, "prompt is too long: 208863 tokens > 202752 maximum ("],
        [llama, "prompt is too long: 33000 tokens > 32768 maximum ("],
      ]
    ) {
      const last = await lastError(failing("invalid_request_error", words!));
      const error = (last.data as { error: { type: string; message: string } }).error;
      assert.equal(error.type, "invalid_request_error");
      assert.ok(error.message.startsWith(start!), error.message);
      assert.ok(error.message.endsWith(`reported an error mid-stream: ${words})`), error.message);
    }
  });
});

Deno.test("relay: pings while the upstream is silent, only between events", async () => {
  const events = thinkingTextToolTurn("m");
  const first = encodeEvents(events.slice(0, 2));
  const rest = encodeEvents(events.slice(2));
  let step = 0;
  const slow = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (step === 0) c.enqueue(enc.encode(first));
      else if (step === 1) {
        // Long beside the 25 ms interval, so that a loaded machine's late timers still ping.
        await new Promise((r) => setTimeout(r, 400));
        c.enqueue(enc.encode(rest));
      } else c.close();
      step++;
    },
  });
  const got = parseSse(await relayText(slow, { pingIntervalMs: 25 }));
  const pings = got.filter((e) => e.event === "ping").length;
  assert.ok(pings >= 3, `expected pings during 400 ms of silence, got ${pings}`);
  assert.deepEqual(
    got.filter((e) => e.event !== "ping").map((e) => e.event),
    events.map((e) => e.event).filter((e) => e !== "ping"),
  );
  assert.equal(got.at(-1)!.event, "message_stop");
});

Deno.test("relay: cancel reaches the upstream and reports the client left", async () => {
  let cancelled = false;
  let aborted = false;
  let ended: unknown;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(enc.encode(encodeEvents(thinkingTextToolTurn("m").slice(0, 1))));
    },
    cancel() {
      cancelled = true;
    },
  });
  const out = relayAnthropicStream(upstream, {
    clientModel: "c",
    describeUpstream: "Up",
    onCancel: () => (aborted = true),
    onEnd: (o) => (ended = o),
  });
  const reader = out.getReader();
  await reader.read();
  await reader.cancel();
  assert.ok(cancelled && aborted);
  assert.equal((ended as { cancelled?: boolean }).cancelled, true);
});

Deno.test("relay: a client that leaves mid-answer gets the streamed output recorded", async () => {
  const opening = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: "m",
          type: "message",
          role: "assistant",
          model: "m",
          content: [],
          usage: { input_tokens: 9, output_tokens: 1 },
        },
      },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
  ];
  const delta = (text: string) => ({
    event: "content_block_delta",
    data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
  });
  const chunks = [
    encodeEvents(opening),
    encodeEvents([delta("a".repeat(40))]),
    encodeEvents([delta("b".repeat(80))]),
  ];
  let ended: { usage: object; cancelled?: boolean } | undefined;
  let i = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]!));
    },
  });
  const reader = relayAnthropicStream(upstream, {
    clientModel: "c",
    describeUpstream: "Up",
    onEnd: (o) => (ended = o),
  }).getReader();
  for (let n = 0; n < 3; n++) await reader.read();
  await reader.cancel();
  assert.equal(ended?.cancelled, true);
  // 120 characters of text at ~4 characters per token; message_start had said 1.
  assert.deepEqual(ended?.usage, { inputTokens: 9, outputTokens: 30 });
});

Deno.test("relay: an event begun after whole events in the same chunk counts toward 16 MiB", async () => {
  // One read holds a whole event and the start of one already past the limit; its end comes next.
  const seventeen = "a".repeat(17 * 1024 * 1024);
  const upstream = ReadableStream.from([
    enc.encode(
      `event: ping\ndata: {"type":"ping"}\n\nevent: content_block_delta\ndata: ${seventeen}`,
    ),
    enc.encode('"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'),
  ]);
  const got = parseSse(await relayText(upstream));
  assert.deepEqual(got.map((e) => e.event), ["ping", "error"]);
  assert.match(
    (got[1]!.data.error as { message: string }).message,
    /^Up sent a stream event larger than 16 MiB$/,
  );
});

Deno.test("relay: a message_start without usage still gives the client usage.input_tokens", async () => {
  const text = encodeEvents([
    { event: "message_start", data: { type: "message_start", message: { id: "m", model: "u" } } },
    { event: "message_stop", data: { type: "message_stop" } },
  ]);
  const [start] = parseSse(await relayText(chunked(text, 1000)));
  assert.deepEqual(start!.data.message, {
    id: "m",
    model: "claude-x",
    type: "message",
    role: "assistant",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0 },
  });
});

Deno.test("relay: a count ccp made already fills a message_start's missing input_tokens", async (t) => {
  const text = (events: SseEvent[]) => chunked(encodeEvents(events), 1000);
  const startOf = async (events: SseEvent[]) =>
    (parseSse(await relayText(text(events), { inputTokens: 1234 }))[0]!.data.message as {
      usage: unknown;
    }).usage;
  const stop: SseEvent = { event: "message_stop", data: { type: "message_stop" } };
  await t.step("the message_start ccp writes for an upstream that sent none", async () => {
    assert.deepEqual(
      await startOf([{
        event: "content_block_start",
        data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      }, stop]),
      { input_tokens: 1234, output_tokens: 0 },
    );
  });
  await t.step(
    "an upstream's message_start without usage; the upstream's own count wins",
    async () => {
      const start = (message: Record<string, unknown>): SseEvent => ({
        event: "message_start",
        data: { type: "message_start", message: { id: "m", model: "u", ...message } },
      });
      assert.deepEqual(await startOf([start({}), stop]), { input_tokens: 1234, output_tokens: 0 });
      assert.deepEqual(await startOf([start({ usage: { input_tokens: 9 } }), stop]), {
        input_tokens: 9,
        output_tokens: 0,
      });
    },
  );
});

Deno.test("relay: a message_start that comes after ccp opened the answer with its own is not sent again", async () => {
  // The client's accumulator would take a second message_start for a new, empty message.
  const text = encodeEvents([
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
    },
    {
      event: "message_start",
      data: { type: "message_start", message: { id: "m", model: "u", usage: { input_tokens: 7 } } },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "end_turn" },
        usage: { output_tokens: 1 },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ]);
  for (const size of [1, 7, 1000]) {
    let usage = {};
    const got = parseSse(
      await relayText(chunked(text, size), { onEnd: (o: { usage: object }) => (usage = o.usage) }),
    );
    assert.deepEqual(got.map((e) => e.event), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ], `chunk size ${size}`);
    assert.equal((got[0]!.data.message as { model: string }).model, "claude-x");
    // What the late one said still counts for ccp's own usage.
    assert.deepEqual(usage, { inputTokens: 7, outputTokens: 1 }, `usage at chunk size ${size}`);
  }
});

Deno.test("relay: a message_delta gets the usage and the stop reason Claude Code needs", async (t) => {
  const start: SseEvent = {
    event: "message_start",
    data: { type: "message_start", message: { id: "m", model: "u", usage: { input_tokens: 9 } } },
  };
  const call: SseEvent[] = [
    {
      event: "content_block_start",
      data: {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "call_1", name: "Read", input: {} },
      },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"file_path":"a.txt"}' },
      },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
  ];
  const stop: SseEvent = { event: "message_stop", data: { type: "message_stop" } };
  /** The message_delta the client gets, the same at any chunking. */
  const deltaOf = async (events: SseEvent[]) => {
    const [one, whole] = await Promise.all([1, 1000].map(async (size) => {
      const got = parseSse(await relayText(chunked(encodeEvents(events), size)));
      return got.find((e) => e.event === "message_delta")!.data;
    }));
    assert.deepEqual(one, whole);
    return whole;
  };
  await t.step("a tool call ended as end_turn stops for tool_use, usage filled in", async () => {
    const data = await deltaOf([start, ...call, {
      event: "message_delta",
      data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null } },
    }, stop]);
    assert.deepEqual(data, {
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 6 },
    });
  });
  await t.step("text alone keeps end_turn; a usage without output_tokens gets one", async () => {
    const data = await deltaOf([start, {
      event: "message_delta",
      data: { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: {} },
    }, stop]);
    assert.deepEqual(data, {
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 0 },
    });
  });
  await t.step("max_tokens in the middle of a call stays max_tokens", async () => {
    const data = await deltaOf([start, ...call, {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "max_tokens" },
        usage: { output_tokens: 5 },
      },
    }, stop]);
    assert.deepEqual(data, {
      type: "message_delta",
      delta: { stop_reason: "max_tokens" },
      usage: { output_tokens: 5 },
    });
  });
  await t.step(
    "a call whose start leaves out input (Ollama) ended as end_turn stops for tool_use",
    async () => {
      const bare = structuredClone(call);
      delete (bare[0]!.data.content_block as Record<string, unknown>).input;
      const data = await deltaOf([start, ...bare, {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "end_turn" },
          usage: { output_tokens: 5 },
        },
      }, stop]);
      assert.equal((data?.delta as Record<string, unknown>).stop_reason, "tool_use");
    },
  );
  // vLLM and Ollama map a finish they do not know (an abort, a server-side stop) to no reason.
  await t.step("a null or missing stop reason: tool_use after a call, else end_turn", async () => {
    const ended = (delta?: Record<string, unknown>): SseEvent => ({
      event: "message_delta",
      data: { type: "message_delta", ...(delta ? { delta } : {}), usage: { output_tokens: 5 } },
    });
    const reason = async (events: SseEvent[]) =>
      ((await deltaOf(events))?.delta as Record<string, unknown>).stop_reason;
    assert.equal(await reason([start, ...call, ended({ stop_reason: null }), stop]), "tool_use");
    assert.equal(await reason([start, ...call, ended({}), stop]), "tool_use");
    assert.equal(await reason([start, ended({ stop_reason: null }), stop]), "end_turn");
    assert.equal(await reason([start, ended(), stop]), "end_turn");
  });
});

for (const upstreamReason of ["end_turn", null, undefined]) {
  Deno.test(`a JSON answer with a tool call ended as ${upstreamReason} reaches the client as tool_use`, async () => {
    const { stop_reason: _, ...message } = thinkingTextToolMessage("glm");
    const upstream = startAnthropicMock([
      {
        kind: "json",
        body: upstreamReason === undefined ? message : { ...message, stop_reason: upstreamReason },
      },
    ]);
    const ccp = startCcp(testConfig({
      providers: [provider("glm", { baseUrl: upstream.url })],
      routes: { default: "glm/glm-5" },
    }));
    try {
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-6",
        max_tokens: 100,
        messages: [{ role: "user", content: "hi" }],
      });
      const message = await res.json();
      assert.ok(message.content.some((b: { type: string }) => b.type === "tool_use"));
      assert.equal(message.stop_reason, "tool_use");
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
}

Deno.test("relay: a message_delta without a stop reason, then a close, is a whole answer", async (t) => {
  // ccp fills the reason in (end_turn or tool_use), so the answer has told the client it
  // finished: a close without message_stop must end it as one, not with an error after it.
  const start: SseEvent = {
    event: "message_start",
    data: { type: "message_start", message: { id: "m", model: "u", usage: { input_tokens: 9 } } },
  };
  for (const delta of [{ stop_reason: null }, undefined]) {
    await t.step(JSON.stringify(delta ?? "no delta"), async () => {
      const ended: SseEvent = {
        event: "message_delta",
        data: { type: "message_delta", ...(delta ? { delta } : {}), usage: { output_tokens: 1 } },
      };
      const got = parseSse(await relayText(chunked(encodeEvents([start, ended]), 1000)));
      assert.deepEqual(got.map((e) => e.event), ["message_start", "message_delta", "message_stop"]);
    });
  }
});

// Claude Code opens a tool_use block with `input: ""` and builds the input from
// input_json_delta alone, so an input carried only by the start would reach the tool as {}.
Deno.test("relay: a tool_use start that carries its input and sends no delta", async (t) => {
  const msgStart: SseEvent = {
    event: "message_start",
    data: {
      type: "message_start",
      message: openingMessage("msg_1", "m", { input_tokens: 10, output_tokens: 0 }),
    },
  };
  const startOf = (input: unknown): SseEvent => ({
    event: "content_block_start",
    data: {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "toolu_1", name: "Bash", input },
    },
  });
  const delta = (partial_json: string): SseEvent => ({
    event: "content_block_delta",
    data: {
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json },
    },
  });
  const blockStop: SseEvent = {
    event: "content_block_stop",
    data: { type: "content_block_stop", index: 0 },
  };
  const end: SseEvent[] = [
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: 5 },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
  const relayed = async (events: SseEvent[]) =>
    parseSse(await relayText(chunked(encodeEvents(events), 7)));
  /** The input as Claude Code builds it: `""` at the start, then the deltas' JSON. */
  const clientInput = (events: SseEvent[]) => {
    const json = events.filter((e) =>
      e.event === "content_block_delta" &&
      (e.data.delta as Record<string, unknown>).type === "input_json_delta"
    ).map((e) => (e.data.delta as Record<string, string>).partial_json).join("");
    return json === "" ? {} : JSON.parse(json);
  };
  const input = { command: "ls -la", description: "list" };

  await t.step("becomes one input_json_delta, and the start carries {}", async () => {
    const got = await relayed([msgStart, startOf(input), blockStop, ...end]);
    assert.deepEqual(got.map((e) => e.event), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual((got[1]!.data.content_block as Record<string, unknown>).input, {});
    assert.deepEqual(clientInput(got), input);
  });
  await t.step("only empty deltas follow: the carried input still arrives", async () => {
    const got = await relayed([msgStart, startOf(input), delta(""), blockStop, ...end]);
    assert.deepEqual(clientInput(got), input);
  });
  await t.step("deltas follow: they are the input, nothing is added", async () => {
    const events = [msgStart, startOf(input), delta('{"command":'), delta('"pwd"}'), blockStop];
    const got = await relayed([...events, ...end]);
    assert.deepEqual(clientInput(got), { command: "pwd" });
    assert.equal(got.filter((e) => e.event === "content_block_delta").length, 2);
  });
  await t.step("a start with input {} passes untouched", async () => {
    const events = [msgStart, startOf({}), blockStop, ...end];
    const want = events.map((e) => structuredClone(e));
    (want[0]!.data.message as Record<string, unknown>).model = "claude-x";
    assert.deepEqual(await relayed(events), want);
  });
});
