// deno-lint-ignore-file no-console -- a benchmark script reports on the console
/**
 * Micro-benchmark of the OpenAI → Anthropic stream translation: µs of CPU per upstream
 * chunk for a 200-chunk stream (reasoning, text, one tool call in fragments, usage),
 * compared with a raw passthrough of the same bytes through one identity stage.
 *
 *   deno run bench/translate_bench.ts
 */

import { EventSourceParserStream } from "eventsource-parser/stream";
import { openAIChatTranslation } from "../src/translate/openai_chat/stream.ts";
import { relayTranslatedStream } from "../src/upstream/translated_frames.ts";
import {
  anthropicSseEncoder,
  openAIStreamToAnthropicEvents,
} from "../tests/translate/_staged_pipe.ts";
import { OpenAIToAnthropicTranslator } from "../src/translate/openai_chat/translator.ts";
import { toUpstreamEvent, type UpstreamEvent } from "../src/translate/openai_chat/events.ts";

const encoder = new TextEncoder();

function frame(delta: unknown, finish: string | null = null, usage?: unknown): string {
  const chunk = {
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1730000000,
    model: "bench-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** 200 upstream events: 40 reasoning, 100 text, 56 tool fragments, finish, usage, [DONE]. */
function upstreamFrames(): string[] {
  const frames: string[] = [frame({ role: "assistant", content: "" })];
  for (let i = 0; i < 40; i++) frames.push(frame({ reasoning_content: `step ${i} of the plan, ` }));
  for (let i = 0; i < 100; i++) frames.push(frame({ content: `word${i} and some more text ` }));
  frames.push(
    frame({
      tool_calls: [{
        index: 0,
        id: "call_1",
        type: "function",
        function: { name: "Write", arguments: "" },
      }],
    }),
  );
  for (let i = 0; i < 55; i++) {
    const piece = i === 0
      ? '{"file_path":"/tmp/x","content":"'
      : i === 54
      ? 'end"}'
      : `line ${i}\\n`;
    frames.push(frame({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  frames.push(frame({}, "tool_calls"));
  frames.push(
    `data: ${
      JSON.stringify({ choices: [], usage: { prompt_tokens: 900, completion_tokens: 400 } })
    }\n\n`,
  );
  frames.push("data: [DONE]\n\n");
  return frames;
}

const FRAMES = upstreamFrames();
const CHUNKS = FRAMES.map((f) => encoder.encode(f));
const N_CHUNKS = CHUNKS.length;
const OPTIONS = {
  clientModel: "claude-opus-5-5",
  inputTokens: 900,
  provider: "bench",
  upstreamModel: "bench-model",
};

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const part of stream) bytes += part.length;
  return bytes;
}

async function passthrough(): Promise<number> {
  return await drain(
    ReadableStream.from(CHUNKS).pipeThrough(new TransformStream<Uint8Array, Uint8Array>()),
  );
}

async function parseOnly(): Promise<number> {
  let n = 0;
  const events = ReadableStream.from(CHUNKS)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  for await (const _ of events) n++;
  return n;
}

async function fullPipe(): Promise<number> {
  return await drain(
    relayTranslatedStream(ReadableStream.from(CHUNKS), openAIChatTranslation(OPTIONS), {
      describeUpstream: "bench",
      pingIntervalMs: 0,
    }),
  );
}

async function stagedPipe(): Promise<number> {
  return await drain(
    openAIStreamToAnthropicEvents(ReadableStream.from(CHUNKS), OPTIONS).pipeThrough(
      anthropicSseEncoder(),
    ),
  );
}

const EVENTS: UpstreamEvent[] = FRAMES.map((f) => toUpstreamEvent({ data: f.slice(6, -2) })).filter(
  (e): e is UpstreamEvent => e !== null,
);

function translatorOnly(): number {
  const t = new OpenAIToAnthropicTranslator(OPTIONS);
  let n = 0;
  for (const e of EVENTS) n += t.push(e).length;
  return n + t.end().length;
}

/** Best of several rounds: the machine is shared, the minimum is the least disturbed run. */
async function measure(name: string, fn: () => unknown, iterations: number): Promise<number> {
  for (let i = 0; i < 100; i++) await fn(); // warm up the JIT
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    best = Math.min(best, ((performance.now() - start) * 1000) / iterations / N_CHUNKS);
  }
  console.log(`${name.padEnd(44)} ${best.toFixed(2).padStart(7)} µs/chunk`);
  return best;
}

if (import.meta.main) {
  console.log(
    `${N_CHUNKS} upstream chunks per stream, ${CHUNKS.reduce((n, c) => n + c.length, 0)} bytes`,
  );
  const raw = await measure("raw passthrough (one identity stage)", passthrough, 500);
  await measure("decode + SSE parse only", parseOnly, 300);
  const full = await measure("relay stage (bytes → Anthropic SSE bytes)", fullPipe, 300);
  await measure("staged pipe (one stream stage per step)", stagedPipe, 300);
  await measure("translator state machine only (pre-parsed)", translatorOnly, 2000);
  console.log(`translation overhead over passthrough: ${(full - raw).toFixed(2)} µs/chunk`);
}
