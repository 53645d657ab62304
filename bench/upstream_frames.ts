/**
 * The upstream streams the mock serves, as pre-encoded SSE frames (one network write each).
 * The upstream model name carries the shape: `f<frames>-d<delay ms>`, e.g. `f200-d20`.
 */

import { encodeEvents, textMessage, textTurn } from "../tests/mocks/anthropic_fixtures.ts";

/** The shape of one mock stream. */
export interface StreamShape {
  /** SSE events (frames) in the whole stream, framing events included. */
  frames: number;
  /** Pause before every frame but the first, ms. */
  delayMs: number;
}

/** Frames that are not text deltas: message_start, ping, block start/stop, message_delta/stop. */
export const ANTHROPIC_FRAMING = 6;
/** Frames that are not text deltas: role, finish_reason, usage, [DONE]. */
export const OPENAI_FRAMING = 4;

/** The model name that asks the mock for `shape`. */
export function shapeModel(shape: StreamShape): string {
  return `f${shape.frames}-d${shape.delayMs}`;
}

/** Parses a model name made by {@link shapeModel}. */
export function parseShape(model: string): StreamShape {
  const match = /^f(\d+)-d(\d+)$/.exec(model);
  if (!match) throw new TypeError(`Cannot parse stream shape "${model}": expected f<n>-d<ms>`);
  return { frames: Number(match[1]), delayMs: Number(match[2]) };
}

const encoder = new TextEncoder();

/** An Anthropic Messages stream of exactly `frames` events (text deltas `token<i> `). */
export function anthropicFrames(model: string, frames: number): Uint8Array[] {
  const events = textTurn(model, Math.max(1, frames - ANTHROPIC_FRAMING));
  return events.map((e) => encoder.encode(encodeEvents([e])));
}

/** An OpenAI Chat Completions stream of exactly `frames` SSE events, usage and [DONE] included. */
export function openAIFrames(model: string, frames: number): Uint8Array[] {
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-bench",
        object: "chat.completion.chunk",
        created: 1730000000,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const texts = [chunk({ role: "assistant", content: "" })];
  const n = Math.max(1, frames - OPENAI_FRAMING);
  for (let i = 0; i < n; i++) texts.push(chunk({ content: `token${i} ` }));
  texts.push(chunk({}, "stop"));
  const usage = { prompt_tokens: 900, completion_tokens: n, total_tokens: 900 + n };
  texts.push(`data: ${JSON.stringify({ id: "chatcmpl-bench", choices: [], usage })}\n\n`);
  texts.push("data: [DONE]\n\n");
  return texts.map((t) => encoder.encode(t));
}

/** The non-streaming answer of the same shape: one JSON body with `frames` text tokens. */
export function jsonAnswer(
  protocol: "anthropic" | "openai",
  model: string,
  frames: number,
): string {
  const text = Array.from({ length: Math.max(1, frames) }, (_, i) => `token${i} `).join("");
  if (protocol === "openai") {
    return JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion",
      created: 1730000000,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { prompt_tokens: 900, completion_tokens: frames, total_tokens: 900 + frames },
    });
  }
  return JSON.stringify(textMessage(model, { input_tokens: 900, output_tokens: frames }, text));
}
