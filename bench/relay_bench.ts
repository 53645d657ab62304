// deno-lint-ignore-file no-console -- a benchmark script reports on the console
/**
 * Micro-benchmark of the Anthropic passthrough relay: µs of CPU per upstream chunk for a
 * 200-event stream (text deltas, one tool call in fragments, usage), relayed chunk by chunk,
 * compared with the same bytes through one identity stage.
 *
 *   deno run bench/relay_bench.ts
 */

import { relayAnthropicStream } from "../src/upstream/anthropic/relay.ts";

const encoder = new TextEncoder();

function event(name: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** One Anthropic stream as an upstream sends it, one event per chunk. */
function upstreamChunks(): Uint8Array[] {
  const chunks = [
    event("message_start", {
      type: "message_start",
      message: {
        id: "msg_bench",
        type: "message",
        role: "assistant",
        model: "upstream-model",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 900, output_tokens: 1 },
      },
    }),
    event("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
  ];
  for (let i = 0; i < 140; i++) {
    chunks.push(event("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: `word${i} and some more text ` },
    }));
  }
  chunks.push(event("content_block_stop", { type: "content_block_stop", index: 0 }));
  chunks.push(event("content_block_start", {
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "toolu_1", name: "Write", input: {} },
  }));
  for (let i = 0; i < 50; i++) {
    chunks.push(event("content_block_delta", {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: `line ${i}\\n` },
    }));
  }
  chunks.push(event("content_block_stop", { type: "content_block_stop", index: 1 }));
  chunks.push(event("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 400 },
  }));
  chunks.push(event("message_stop", { type: "message_stop" }));
  return chunks;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

const chunks = upstreamChunks();

async function relayOnce(): Promise<void> {
  await drain(relayAnthropicStream(ReadableStream.from(chunks), {
    clientModel: "claude-sonnet-4-5",
    describeUpstream: "bench",
    pingIntervalMs: 0,
  }));
}

async function identityOnce(): Promise<void> {
  await drain(ReadableStream.from(chunks).pipeThrough(new TransformStream()));
}

async function perChunk(run: () => Promise<void>, rounds: number): Promise<number> {
  for (let i = 0; i < 50; i++) await run();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await run();
  return ((performance.now() - start) * 1000) / (rounds * chunks.length);
}

const rounds = 400;
const identity = await perChunk(identityOnce, rounds);
const relay = await perChunk(relayOnce, rounds);
console.log(`${chunks.length} chunks per stream, ${rounds} streams`);
console.log(`identity stage: ${identity.toFixed(2)} µs/chunk`);
console.log(`relay:          ${relay.toFixed(2)} µs/chunk (+${(relay - identity).toFixed(2)})`);
