/**
 * Test helpers for the stream translation: run fixtures through the real pipe with any
 * chunking, check event order strictly, and accumulate the output with the official
 * Anthropic SDK (`Stream.fromSSEResponse` + `MessageStream`), so Anthropic's own client
 * proves the stream well-formed.
 */

import assert from "node:assert/strict";
import {
  type Message,
  MessageStream,
  type MessageStreamEvent,
  Stream,
} from "../helpers/anthropic_sdk.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import type { TranslateOptions } from "../../src/translate/openai_chat/translator.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { concatBytes } from "../helpers/bytes.ts";
import { assertAnthropicGrammar } from "../helpers/anthropic_grammar.ts";
export { splitAt } from "../helpers/bytes.ts";

/** Options every fixture runs with (fixed message id so outputs compare equal). */
export const BASE_OPTIONS: TranslateOptions = {
  clientModel: "claude-opus-5-5",
  inputTokens: 1234,
  provider: "testprov",
  upstreamModel: "test-model",
  messageId: "msg_fixture",
};

const FIXTURES = new URL("../fixtures/openai/", import.meta.url);

/** Bytes of a fixture file. */
export async function fixture(name: string): Promise<Uint8Array> {
  return await Deno.readFile(new URL(name, FIXTURES));
}

/** Every byte in its own chunk. */
export function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b));
}

/** Upstream chunks through `translation` in the relay stage, as ccp serves them. */
export function relayChunks(
  chunks: Uint8Array[],
  translation: SseTranslation,
): ReadableStream<Uint8Array> {
  return relayTranslatedStream(ReadableStream.from(chunks), translation, {
    describeUpstream: "Upstream provider",
    pingIntervalMs: 0,
  });
}

/** Upstream chunks through `translation` as ccp serves them: the SSE text, tool ids normalized. */
export async function relayedSse(
  chunks: Uint8Array[],
  translation: SseTranslation,
): Promise<string> {
  const out = relayChunks(chunks, translation);
  return normalizeIds(new TextDecoder().decode(concatBytes(await Array.fromAsync(out))));
}

/** How {@link chatStream} ends and dresses its chunks. */
export interface ChatStreamShape {
  /** The last chunk's `finish_reason` ("stop" unless given). */
  readonly finish?: string;
  /** A usage chunk after the finish, as servers send one when asked for it. */
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number };
  /** Fields every chunk carries besides `choices` (`id`, `object`, `model`). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * A recorded-style Chat Completions stream as SSE bytes: the assistant's opening chunk, one chunk
 * per delta, the finish, the usage chunk when given, and `[DONE]`.
 */
export function chatStream(deltas: readonly unknown[], shape: ChatStreamShape = {}): Uint8Array {
  const frame = (delta: unknown, reason: string | null = null) =>
    `data: ${
      JSON.stringify({ ...shape.fields, choices: [{ index: 0, delta, finish_reason: reason }] })
    }\n\n`;
  const usage = shape.usage
    ? `data: ${JSON.stringify({ choices: [], usage: shape.usage })}\n\n`
    : "";
  return new TextEncoder().encode(
    frame({ role: "assistant", content: "" }) + deltas.map((d) => frame(d)).join("") +
      frame({}, shape.finish ?? "stop") + usage + "data: [DONE]\n\n",
  );
}

/** {@link chatStream} of a content that arrives in `pieces`. */
export function contentStream(pieces: readonly string[], shape: ChatStreamShape = {}): Uint8Array {
  return chatStream(pieces.map((content) => ({ content })), shape);
}

/** Runs upstream chunks through the streaming translation; returns the SSE text. */
export async function translateChunks(
  chunks: Uint8Array[],
  options: Partial<TranslateOptions> = {},
): Promise<string> {
  const out = relayChunks(chunks, openAIChatTranslation({ ...BASE_OPTIONS, ...options }));
  const parts = await Array.fromAsync(out);
  return new TextDecoder().decode(concatBytes(parts));
}

/** The fields of ccp's event payloads the checks read. */
export interface FrameData {
  type: string;
  index?: number;
  message?: { usage: Record<string, unknown> & { cache_creation: Record<string, unknown> } };
  content_block?: { type: string };
  delta?: { type: string; partial_json?: string };
  usage?: Record<string, unknown>;
  error?: { type?: unknown; message?: unknown };
}

/** One parsed SSE frame of ccp's output. */
export interface Frame {
  event: string;
  data: FrameData;
}

/** Parses ccp's SSE output (which always uses `\n` framing). */
export function parseFrames(sse: string): Frame[] {
  return sse.split("\n\n").filter((f) => f.trim()).map((frame) => {
    const lines = frame.split("\n");
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "";
    const data = JSON.parse(lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "null");
    assert.equal(data.type, event, "event name and data.type agree");
    return { event, data };
  });
}

/**
 * Checks ccp's translated output against Anthropic's grammar (tests/helpers/anthropic_grammar.ts),
 * with what ccp adds: full usage in message_start and thinking blocks signed. `toolJson: false`
 * lets tool input be invalid JSON (an upstream's broken arguments).
 */
export function assertWellFormed(frames: Frame[], { toolJson = true } = {}): void {
  assertAnthropicGrammar(frames, { toolJson, ccp: true });
}

/**
 * Upstream chunks through the streaming translation, its output checked against Anthropic's
 * grammar, then accumulated by the official SDK.
 */
export async function wellFormedMessage(
  chunks: Uint8Array[],
  options: Partial<TranslateOptions> = {},
): Promise<Message> {
  const out = await translateChunks(chunks, options);
  assertWellFormed(parseFrames(out));
  return await sdkMessage(out);
}

/** Accumulates ccp's SSE output with the official SDK; rejects on an `error` event. */
export async function sdkMessage(sse: string): Promise<Message> {
  const response = new Response(sse, { headers: { "content-type": "text/event-stream" } });
  const events = Stream.fromSSEResponse<MessageStreamEvent>(response, new AbortController());
  const message = await MessageStream.fromReadableStream(events.toReadableStream()).finalMessage();
  const { parsed_output: _ignored, ...rest } = message as Message & { parsed_output?: unknown };
  return rest as Message;
}

/**
 * What every output of a fuzzed upstream passes: a well-formed stream (an upstream's broken tool
 * arguments stay broken, as Anthropic's own cut answers do) not ended by ccp's own failure (an
 * exception the relay caught). `why` and the end of the stream go with a failure's message.
 */
export function assertSound(sse: string, why: string): void {
  try {
    const frames = parseFrames(sse);
    assertWellFormed(frames, { toolJson: false });
    const last = frames.at(-1)!;
    if (last.event === "error") {
      const message = String(last.data.error?.message);
      assert.ok(!message.startsWith("ccp could not relay"), "ccp failed on its own");
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${why}\nclient (end): ${sse.slice(-600)}`);
  }
}

/** Replaces generated `toolu_` ids so outputs of different runs compare equal. */
export function normalizeIds(sse: string): string {
  return sse.replace(/toolu_[A-Za-z0-9]{24}/g, "toolu_GENERATED");
}

/** Every way of cutting `text` into two pieces (the upstream's content or reasoning deltas). */
export function* cuts(text: string): Generator<string[]> {
  for (let i = 1; i < text.length; i++) yield [text.slice(0, i), text.slice(i)];
}

/** Block `at` of `m`, which must be a tool_use with ccp's id form; its name and input. */
export function toolUse(
  m: { content: readonly unknown[] },
  at: number,
): { name: string; input: unknown } {
  const b = m.content[at] as { type?: string; id: string; name: string; input: unknown };
  assert.equal(b?.type, "tool_use", JSON.stringify(m.content));
  assert.match(b.id, /^toolu_[A-Za-z0-9]{24}$/, "a tool_use id of ccp's, not the model's own");
  return { name: b.name, input: b.input };
}
