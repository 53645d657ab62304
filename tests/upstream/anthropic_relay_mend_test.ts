/**
 * What the passthrough relay mends in a compatible gateway's stream, read the way Claude Code
 * reads it: each block becomes part of the answer at its `content_block_stop` (a stop for a block
 * that is not open fails the stream), and a `message_delta` without a stop reason keeps the one
 * an earlier delta gave.
 */

import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { collectMessage } from "../../src/upstream/collect_stream.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

// Read whole, as ccp reads a stream for a client that asked for none.
const collect = (stream: ReadableStream<Uint8Array>) =>
  collectMessage(stream, 32 * 1024 * 1024, "the test upstream");

const enc = new TextEncoder();

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/anthropic/${name}`, import.meta.url));
}

function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = enc.encode(text);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.slice(i, i + size));
  return ReadableStream.from(parts);
}

function relay(text: string, size = text.length): ReadableStream<Uint8Array> {
  return relayAnthropicStream(chunked(text, size), {
    clientModel: "claude-opus-5-5",
    describeUpstream: "Provider gw (model m)",
  });
}

type Event = { event: string; data: Record<string, unknown> };

/** The blocks Claude Code takes into the answer, and the stop reason it keeps. */
function claudeCodeReads(events: readonly Event[]) {
  const started = new Map<unknown, Record<string, unknown>>();
  const open = new Set<unknown>();
  const taken: Record<string, unknown>[] = [];
  let stopReason: unknown = null;
  for (const { data } of events) {
    const index = data.index;
    if (data.type === "content_block_start") {
      started.set(index, { ...(data.content_block as object), json: "" });
      open.add(index);
    } else if (data.type === "content_block_delta") {
      const block = started.get(index);
      if (!block || !open.has(index)) throw new Error(`delta for block ${index}, not open`);
      const delta = data.delta as Record<string, string>;
      if (delta.type === "text_delta") block.text += delta.text!;
      if (delta.type === "input_json_delta") block.json += delta.partial_json!;
    } else if (data.type === "content_block_stop") {
      const block = started.get(index);
      if (!block || !open.has(index)) {
        throw new Error(`content_block_stop for block ${index}, not open`);
      }
      open.delete(index);
      const { json, ...rest } = block;
      taken.push(
        rest.type === "tool_use" ? { ...rest, input: JSON.parse(String(json) || "{}") } : rest,
      );
    } else if (data.type === "message_delta") {
      const reason = (data.delta as Record<string, unknown>).stop_reason;
      if (typeof reason === "string") stopReason = reason;
    }
  }
  return { taken, stopReason };
}

function stopReasons(events: readonly Event[]): unknown[] {
  return events.filter((e) => e.data.type === "message_delta").map((e) =>
    (e.data.delta as Record<string, unknown>).stop_reason
  );
}

Deno.test("relay mends: a usage-only message_delta after the stop reason is one delta with that reason", async (t) => {
  const text = fixture("usage_after_stop.sse");
  for (const size of [1, 7, 100, text.length]) {
    await t.step(`in chunks of ${size}`, async () => {
      const events = parseSse(await new Response(relay(text, size)).text());
      // Anthropic's answers have one message_delta: the later usage goes into the first.
      assert.deepEqual(stopReasons(events), ["max_tokens"]);
      assert.deepEqual(events.find((e) => e.event === "message_delta")?.data.usage, {
        input_tokens: 1958,
        output_tokens: 64,
        cache_read_input_tokens: 16384,
        cache_creation_input_tokens: 0,
      });
      assert.deepEqual(events.slice(-2).map((e) => e.event), ["message_delta", "message_stop"]);
      assert.equal(claudeCodeReads(events).stopReason, "max_tokens");
      assert.equal(events.at(-1)?.event, "message_stop");
    });
  }
  await t.step("collected into JSON it is a cut answer, with the later usage", async () => {
    const message = await collect(relay(text));
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.stop_sequence, null);
    assert.equal(message.usage.output_tokens, 64);
    assert.equal(message.usage.cache_read_input_tokens, 16384);
  });
  await t.step("a stop sequence stays with its reason", async () => {
    const hit = text.replace(
      '"stop_reason":"max_tokens","stop_sequence":null',
      '"stop_reason":"stop_sequence","stop_sequence":"-- END"',
    );
    const message = await collect(relay(hit));
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "-- END");
  });
  await t.step("a delta that says a new reason is taken as said", async () => {
    const later = text.replace(
      '"delta":{},',
      '"delta":{"stop_reason":"end_turn","stop_sequence":null},',
    );
    const events = parseSse(await new Response(relay(later)).text());
    assert.deepEqual(stopReasons(events), ["end_turn"]);
  });
});

Deno.test("relay mends: a block the gateway never stopped is stopped before message_delta", async (t) => {
  const text = fixture("unclosed_last_block.sse");
  const want = [
    { type: "text", text: "I'll list the test files first." },
    {
      type: "tool_use",
      id: "toolu_01HkQ3x9Vb2mWn7pR4sTj8Lc",
      name: "Bash",
      input: { command: "ls tests/", description: "List the test files" },
    },
  ];
  for (const size of [1, 7, 100, text.length]) {
    await t.step(`in chunks of ${size}`, async () => {
      const events = parseSse(await new Response(relay(text, size)).text());
      const read = claudeCodeReads(events);
      assert.deepEqual(read.taken, want);
      assert.equal(read.stopReason, "tool_use");
      const at = events.findIndex((e) => e.data.type === "message_delta");
      assert.deepEqual(events[at - 1]?.data, { type: "content_block_stop", index: 1 });
    });
  }
  await t.step("collected into JSON the call is whole", async () => {
    const message = await collect(relay(text));
    assert.deepEqual(message.content, want);
    assert.equal(message.stop_reason, "tool_use");
  });
  await t.step("a stop that comes late, or twice, is not passed on", async () => {
    const stop = (index: number) =>
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}\n\n`;
    const messy = text.replace(stop(0), stop(0) + stop(0)).replace(
      "event: message_stop",
      `${stop(1)}event: message_stop`,
    );
    const events = parseSse(await new Response(relay(messy)).text());
    assert.deepEqual(claudeCodeReads(events).taken, want);
    assert.equal(events.filter((e) => e.data.type === "content_block_stop").length, 2);
  });
  await t.step(
    "what the gateway still sends for an open block after message_delta goes on",
    async () => {
      const late = (piece: string) =>
        `event: content_block_delta\ndata: ${
          JSON.stringify({
            type: "content_block_delta",
            index: 1,
            delta: { type: "input_json_delta", partial_json: piece },
          })
        }\n\n`;
      // The call's last piece comes after message_delta, its stop right after, then message_stop.
      const cut = text.replace('List the test files\\"}', "List the test files").replace(
        "event: message_stop",
        `${
          late('"}')
        }event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n` +
          "event: message_stop",
      );
      for (const size of [1, cut.length]) {
        const events = parseSse(await new Response(relay(cut, size)).text());
        assert.deepEqual(claudeCodeReads(events).taken, want, `chunks of ${size}`);
        const order = events.map((e) => e.data.type).slice(-3);
        assert.deepEqual(order, ["content_block_stop", "message_delta", "message_stop"]);
      }
    },
  );
  await t.step("an upstream that ends after message_delta without message_stop", async () => {
    const events = parseSse(
      await new Response(relay(text.replace(/event: message_stop\n[^\n]*\n\n$/, ""))).text(),
    );
    assert.deepEqual(claudeCodeReads(events).taken, want);
    const order = events.map((e) => e.data.type).slice(-3);
    assert.deepEqual(order, ["content_block_stop", "message_delta", "message_stop"]);
  });
  await t.step(
    "a call whose start carried its input gets it before the stop ccp writes",
    async () => {
      const carried = text.replace(
        '"name":"Bash","input":{}',
        '"name":"Bash","input":{"command":"ls tests/","description":"List the test files"}',
      ).replace(/event: content_block_delta\ndata: \{[^\n]*"index":1[^\n]*\n\n/g, "");
      const events = parseSse(await new Response(relay(carried)).text());
      assert.deepEqual(claudeCodeReads(events).taken, want);
    },
  );
});

Deno.test("relay mends: a stop reason in another API's words is Anthropic's", async (t) => {
  const text = fixture("usage_after_stop.sse").replace(/"delta":\{\},[^\n]*\n\n/, "");
  const withReason = (reason: string) =>
    text.replace('"stop_reason":"max_tokens"', `"stop_reason":"${reason}"`);
  for (
    const [said, want] of [
      ["length", "max_tokens"],
      ["stop", "end_turn"],
      ["content_filter", "refusal"],
      ["sensitive", "refusal"],
      ["model_length", "model_context_window_exceeded"],
      // Anthropic's own, and ones ccp does not know, go on as they came.
      ["pause_turn", "pause_turn"],
      ["compaction", "compaction"],
    ] as const
  ) {
    await t.step(`${said} → ${want}`, async () => {
      const events = parseSse(await new Response(relay(withReason(said))).text());
      assert.deepEqual(stopReasons(events), [want]);
      assert.equal((await collect(relay(withReason(said)))).stop_reason, want);
    });
  }
  await t.step("a call that stopped as `tool_calls` stopped for it", async () => {
    const call = fixture("unclosed_last_block.sse").replace(
      '"tool_use","stop_sequence"',
      '"tool_calls","stop_sequence"',
    );
    const events = parseSse(await new Response(relay(call)).text());
    assert.deepEqual(stopReasons(events), ["tool_use"]);
  });
});

Deno.test("relay mends: an answer the server gave up on (GLM's network_error) is an error", async (t) => {
  const text = fixture("glm_network_error.sse");
  await t.step("streamed: the client's stream ends with one error, no message_stop", async () => {
    const events = parseSse(await new Response(relay(text)).text());
    assert.equal(events.at(-1)?.event, "error");
    assert.ok(!events.some((e) => e.event === "message_stop" || e.event === "message_delta"));
    const error = events.at(-1)!.data.error as { type: string; message: string };
    assert.equal(error.type, "api_error");
    assert.match(
      error.message,
      /^Provider gw \(model m\) ended the answer with stop_reason "network_error"$/,
    );
  });
  await t.step("collected into JSON it is that error, not a cut answer", async () => {
    await assert.rejects(
      collect(relay(text)),
      /ended the answer with stop_reason "network_error"/,
    );
  });
});

Deno.test("relay mends: a gateway's JSON answer gets the same stop reasons", async (t) => {
  let stopReason = "length";
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      return Response.json({
        id: "msg_01",
        type: "message",
        role: "assistant",
        model: "glm-4.7",
        content: [{ type: "text", text: "The failing test is in" }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: 12840, output_tokens: 6 },
      });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gw", {
      baseUrl: `http://127.0.0.1:${upstream.addr.port}`,
      apiKeys: ["k"],
      maxRetries: 0,
    })],
    routes: { default: "gw/glm-4.7" },
  }));
  const ask = () =>
    postMessages(ccp.url, {
      model: "claude-opus-5-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "why does it fail?" }],
    });
  try {
    await t.step("`length` is a cut answer", async () => {
      const res = await ask();
      assert.equal(res.status, 200);
      assert.equal((await res.json()).stop_reason, "max_tokens");
    });
    await t.step("`network_error` is a failed one", async () => {
      stopReason = "network_error";
      const res = await ask();
      assert.equal(res.status, 502);
      const body = await res.json();
      assert.match(body.error.message, /ended the answer with stop_reason "network_error"/);
    });
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});

/** A gateway's answer that goes from its last block to message_stop: no message_delta at all. */
function withoutDelta(blocks: readonly Record<string, unknown>[][], stopLast = true): string {
  const ev = (data: Record<string, unknown>) =>
    `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  let text = ev({
    type: "message_start",
    message: openingMessage("msg_gw", "gw-model", { input_tokens: 120, output_tokens: 0 }),
  });
  blocks.forEach((events, index) => {
    for (const data of events) text += ev({ ...data, index });
    if (stopLast || index < blocks.length - 1) text += ev({ type: "content_block_stop", index });
  });
  return text + ev({ type: "message_stop" });
}

const TEXT_BLOCK = [
  { type: "content_block_start", content_block: { type: "text", text: "" } },
  { type: "content_block_delta", delta: { type: "text_delta", text: "The tests pass: 42 of 42." } },
];
const CALL_BLOCK = [
  {
    type: "content_block_start",
    content_block: { type: "tool_use", id: "toolu_gw", name: "Bash", input: {} },
  },
  {
    type: "content_block_delta",
    delta: { type: "input_json_delta", partial_json: '{"command":"ls tests"}' },
  },
];

Deno.test("relay mends: an answer that ends with message_stop and no message_delta gets one", async (t) => {
  const answer = withoutDelta([TEXT_BLOCK]);
  for (const size of [1, 7, answer.length]) {
    await t.step(`a text answer, in chunks of ${size}: end_turn`, async () => {
      const events = parseSse(await new Response(relay(answer, size)).text());
      assert.deepEqual(events.slice(-2).map((e) => e.event), ["message_delta", "message_stop"]);
      assert.deepEqual(stopReasons(events), ["end_turn"]);
      assert.equal(claudeCodeReads(events).stopReason, "end_turn");
      const usage = events.at(-2)!.data.usage as Record<string, number>;
      assert.ok(usage.output_tokens! > 0, "the output is estimated, not left at 0");
    });
  }
  await t.step("an answer whose last block is a tool call: tool_use", async () => {
    const events = parseSse(
      await new Response(relay(withoutDelta([TEXT_BLOCK, CALL_BLOCK]))).text(),
    );
    assert.deepEqual(stopReasons(events), ["tool_use"]);
    assert.equal(claudeCodeReads(events).taken.length, 2);
  });
  await t.step("collected into JSON", async () => {
    const message = await collect(relay(withoutDelta([TEXT_BLOCK, CALL_BLOCK])));
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.stop_sequence, null);
    assert.ok(message.usage.output_tokens > 0);
  });
  await t.step("a block left open too: its stop, then the delta, then message_stop", async () => {
    const events = parseSse(
      await new Response(relay(withoutDelta([TEXT_BLOCK, CALL_BLOCK], false), 5)).text(),
    );
    assert.deepEqual(events.slice(-3).map((e) => e.event), [
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const read = claudeCodeReads(events);
    assert.equal(read.stopReason, "tool_use");
    assert.deepEqual(read.taken.at(-1)?.input, { command: "ls tests" });
  });
  await t.step("a gateway's own message_delta is not doubled", async () => {
    const own = withoutDelta([TEXT_BLOCK]).replace(
      "event: message_stop",
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens",' +
        '"stop_sequence":null},"usage":{"output_tokens":9}}\n\nevent: message_stop',
    );
    const events = parseSse(await new Response(relay(own)).text());
    assert.deepEqual(stopReasons(events), ["max_tokens"]);
  });
  await t.step("the answer's end reports the reason the client was told (for traces)", async () => {
    let told: string | undefined;
    const out = relayAnthropicStream(chunked(withoutDelta([TEXT_BLOCK, CALL_BLOCK]), 7), {
      clientModel: "claude-opus-5-5",
      describeUpstream: "Provider gw (model m)",
      onEnd: (outcome) => (told = outcome.stopReason),
    });
    await new Response(out).text();
    assert.equal(told, "tool_use", "the reason ccp wrote in the delta the upstream left out");
  });
});

Deno.test("relay mends: two message_deltas and no message_start: one of each, then message_stop", async () => {
  const delta = (d: unknown, usage: unknown) =>
    `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: d, usage })}\n\n`;
  const text = delta(
    { stop_reason: "end_turn", stop_sequence: null },
    { output_tokens: 3, cache_read_input_tokens: 40 },
  ) +
    delta({}, { input_tokens: 50, output_tokens: 3, cache_read_input_tokens: 0 }) +
    'event: message_stop\ndata: {"type":"message_stop"}\n\n';
  for (const size of [1, text.length]) {
    const events = parseSse(await new Response(relay(text, size)).text());
    assert.deepEqual(events.map((e) => e.event), [
      "message_start",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(events[1]?.data, {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      // A later count of 0 keeps the earlier one, as Claude Code adds them up.
      usage: { output_tokens: 3, input_tokens: 50, cache_read_input_tokens: 40 },
    });
  }
});
