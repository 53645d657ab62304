/**
 * What the passthrough relay mends in a compatible gateway's stream, read the way Claude Code
 * reads it: each block becomes part of the answer at its `content_block_stop` (a stop for a block
 * that is not open fails the stream), and a `message_delta` without a stop reason keeps the one
 * an earlier delta gave.
 */

import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { collectMessage } from "../../src/upstream/collect_stream.ts";
import { parseSse } from "../helpers/ccp.ts";

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

Deno.test("relay mends: a usage-only message_delta after the stop reason keeps that reason", async (t) => {
  const text = fixture("usage_after_stop.sse");
  for (const size of [1, 7, 100, text.length]) {
    await t.step(`in chunks of ${size}`, async () => {
      const events = parseSse(await new Response(relay(text, size)).text());
      assert.deepEqual(stopReasons(events), ["max_tokens", "max_tokens"]);
      assert.equal(claudeCodeReads(events).stopReason, "max_tokens");
      assert.equal(events.at(-1)?.event, "message_stop");
    });
  }
  await t.step("collected into JSON it is a cut answer, with the later usage", async () => {
    const message = await collectMessage(relay(text));
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
    const message = await collectMessage(relay(hit));
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "-- END");
  });
  await t.step("a delta that says a new reason is taken as said", async () => {
    const later = text.replace(
      '"delta":{},',
      '"delta":{"stop_reason":"end_turn","stop_sequence":null},',
    );
    const events = parseSse(await new Response(relay(later)).text());
    assert.deepEqual(stopReasons(events), ["max_tokens", "end_turn"]);
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
    const message = await collectMessage(relay(text));
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
