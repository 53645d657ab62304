/**
 * The Anthropic relay with an upstream that writes its events as `data:` lines only (no `event:`
 * line), as some gateways and local servers do: the client still gets every event named after
 * its data's `type`, since an SDK reads events by name and drops unnamed ones.
 */

import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { encodeEvents, type SseEvent, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { MessageStream, type MessageStreamEvent, Stream } from "../helpers/anthropic_sdk.ts";

const enc = new TextEncoder();

/** The events as `data:` lines only. */
const unnamed = (events: readonly SseEvent[], lineEnd = "\n") =>
  events.map((e) => `data: ${JSON.stringify(e.data)}${lineEnd}${lineEnd}`).join("");

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

const ev = (type: string, data: Record<string, unknown> = {}): SseEvent => ({
  event: type,
  data: { type, ...data },
});

// A tool call the server ends as end_turn and without usage (llama.cpp-like), with no message_start.
const CALL_WITHOUT_START: SseEvent[] = [
  ev("content_block_start", {
    index: 0,
    content_block: { type: "tool_use", id: "toolu_1", name: "Read", input: {} },
  }),
  ev("content_block_delta", {
    index: 0,
    delta: { type: "input_json_delta", partial_json: '{"file_path":"/a.ts"}' },
  }),
  ev("content_block_stop", { index: 0 }),
  ev("message_delta", { delta: { stop_reason: "end_turn" } }),
  ev("message_stop"),
];

Deno.test("relay: data-only events reach the client named by type, at any chunking and line end", async () => {
  const events = thinkingTextToolTurn("upstream-model");
  const want = events.map((e) => structuredClone(e));
  (want[0]!.data.message as Record<string, unknown>).model = "claude-x";
  for (const lineEnd of ["\n", "\r\n"]) {
    const text = unnamed(events, lineEnd);
    for (const size of [1, 2, 3, 7, 64, 1000, text.length]) {
      let usage = {};
      const out = await relayText(chunked(text, size), {
        onEnd: (o: { usage: object }) => (usage = o.usage),
      });
      assert.deepEqual(parseSse(out), want, `chunk size ${size}, ${JSON.stringify(lineEnd)}`);
      // Named as Anthropic names them: the name line first.
      for (const frame of out.split("\n\n").filter((f) => f)) assert.match(frame, /^event: \w+\n/);
      assert.deepEqual(usage, {
        inputTokens: 2095,
        outputTokens: 89,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
      });
    }
  }
});

Deno.test("relay: named and unnamed events mixed in one chunk; an empty name counts as none", async () => {
  const [start, ...rest] = thinkingTextToolTurn("m");
  const text = encodeEvents([start!]) + `event:\ndata: ${JSON.stringify({ type: "ping" })}\n\n` +
    unnamed(rest.slice(0, 3)) + encodeEvents(rest.slice(3));
  const got = parseSse(await relayText(chunked(text, text.length)));
  assert.deepEqual(got.map((e) => e.event), [
    "message_start",
    "ping",
    ...rest.map((e) => e.event),
  ]);
  for (const e of got) assert.equal(e.data.type, e.event);
});

Deno.test("relay: a data-only answer without message_start gets one, a tool_use stop and usage", async () => {
  const got = parseSse(await relayText(chunked(unnamed(CALL_WITHOUT_START), 5)));
  assert.deepEqual(got.map((e) => e.event), [
    "message_start",
    ...CALL_WITHOUT_START.map((e) => e.event),
  ]);
  const delta = got.at(-2)!.data;
  assert.deepEqual(delta.delta, { stop_reason: "tool_use" });
  assert.equal(typeof (delta.usage as { output_tokens?: unknown }).output_tokens, "number");
});

Deno.test("relay: a data-only message_stop ends the answer while the upstream holds on", async () => {
  const text = unnamed(CALL_WITHOUT_START);
  let cancelled = false;
  const held = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(enc.encode(text)),
    cancel: () => void (cancelled = true),
  });
  const out = await relayText(held);
  assert.ok(out.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'), out);
  assert.ok(cancelled, "the upstream is released");
});

Deno.test("ccp: a data-only upstream answers an SDK client, streamed and as JSON", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(unnamed(CALL_WITHOUT_START), {
        headers: { "content-type": "text/event-stream" },
      }),
  );
  const ccp = startCcp(testConfig({
    providers: [provider("up", { baseUrl: `http://127.0.0.1:${server.addr.port}` })],
    routes: { default: "up/local-model" },
  }));
  const request = (stream: boolean) => ({
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    stream,
    messages: [{ role: "user", content: "read a.ts" }],
  });
  const call = { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } };
  try {
    const res = await postMessages(ccp.url, request(true));
    assert.equal(res.status, 200);
    const events = Stream.fromSSEResponse<MessageStreamEvent>(res, new AbortController());
    const message = await MessageStream.fromReadableStream(events.toReadableStream())
      .finalMessage();
    assert.equal(message.model, "claude-sonnet-4-5");
    assert.deepEqual(message.content, [call]);
    assert.equal(message.stop_reason, "tool_use");

    const json = await (await postMessages(ccp.url, request(false))).json();
    assert.deepEqual(json.content, [call]);
    assert.equal(json.stop_reason, "tool_use");
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
