/**
 * Refusals that a request asking for fewer output tokens would get past, and how many it may ask.
 *
 * Two refusals count the output asked for, not the output given, against a budget of the key:
 * OpenRouter's 402 "This request requires more credits, or fewer max_tokens. You requested up to
 * N tokens, but can only afford M", and a tokens-per-minute limit that reserves prompt plus
 * `max_tokens` before the request runs (Groq's 413 "Request too large for model ... on tokens per
 * minute (TPM): Limit L, Requested R", OpenAI's 429 "... on tokens per min (TPM)"). Claude Code
 * asks for 32000-128000 output tokens, so such a key refuses every request while a smaller
 * `max_tokens` would be served. The request is sent once more with what fits; it is not remembered,
 * since the room changes with every prompt and every payment.
 */

import { perMinuteReservation } from "../../core/context_overflow.ts";

type Json = Record<string, unknown>;

/**
 * The least output worth asking for: an agent's step that writes a file in full or plans a change
 * needs a few thousand tokens, and an answer cut off below that is rarely of use. With less room
 * the refusal goes to the client (in Anthropic's words where it reads as an over-long prompt).
 */
const MIN_USEFUL_OUTPUT = 4096;

// The output-limit fields ccp sends upstream, at the top of the body.
const FIELDS = ["max_tokens", "max_completion_tokens", "max_output_tokens"] as const;

const AFFORD = /you requested up to ([\d,]+) tokens, but can only afford ([\d,]+)/i;

const num = (text: string) => Number(text.replace(/,/g, ""));

/** The output field `body` sets, and its value. */
function sentOutput(body: Json): { field: string; value: number } | undefined {
  for (const field of FIELDS) {
    const value = body[field];
    if (typeof value === "number") return { field, value };
  }
  return undefined;
}

/**
 * The most output tokens the refusal `message` (answered with `status`) leaves room for, beside
 * the `asked` output tokens it refused; undefined when it is not such a refusal or names no room.
 */
function affordableOutput(
  status: number | undefined,
  message: string,
  asked: number,
): number | undefined {
  if (status === 402) {
    const match = AFFORD.exec(message);
    return match ? num(match[2]!) : undefined;
  }
  if (status !== 413 && status !== 429) return undefined;
  const reservation = perMinuteReservation(message);
  if (!reservation) return undefined;
  // The reservation is the prompt plus the output asked for: what is left of the limit once
  // the prompt is counted is the room for output.
  const prompt = reservation.requested - asked;
  return prompt > 0 ? reservation.limit - prompt : undefined;
}

/**
 * The entry (`max_tokens<=M`) to send `body` once more with, when the refusal leaves room for
 * at least {@link MIN_USEFUL_OUTPUT} tokens and less than was asked; else undefined.
 */
export function fewerOutputTokens(
  status: number | undefined,
  message: string,
  body: Json,
): string | undefined {
  const sent = sentOutput(body);
  if (!sent) return undefined;
  const room = affordableOutput(status, message, sent.value);
  if (room === undefined || room >= sent.value || room < MIN_USEFUL_OUTPUT) {
    return undefined;
  }
  return `${sent.field}<=${room}`;
}
