/**
 * Reasoning efforts a model takes, by its name wherever it is served: OpenAI's Chat Completions
 * and Responses APIs, a generic OpenAI-compatible server, or OpenRouter's `openai/…` names. Such a
 * model refuses any other effort with a 400, so each translator sends the nearest one listed, and
 * OpenRouter is sent an effort rather than a token budget (it turns a budget into an effort of
 * its own choosing for these models).
 */

import type { ResponsesEffort } from "../../protocols/openai_responses.ts";

/** The efforts of one model family. */
export interface ModelEfforts {
  readonly match: RegExp;
  /** The efforts it takes, weakest first. */
  readonly efforts: readonly ResponsesEffort[];
  /**
   * The effort sent when the client asks for no reasoning, for a model that cannot stop
   * reasoning; absent: nothing is sent (the model reasons at its default).
   */
  readonly off?: ResponsesEffort;
}

/** Models with a fixed set of efforts, first match wins. */
export const MODEL_EFFORTS: readonly ModelEfforts[] = [
  // gpt-5-pro (and the later -pro models) reasons at `high`, its default, and takes no other.
  { match: /gpt-5(\.\d+)?-pro/i, efforts: ["high"] },
  // grok-3-mini takes `low` and `high` only and always reasons (`low` is its least).
  { match: /grok-3-mini/i, efforts: ["low", "high"], off: "low" },
];

/** The efforts `model` takes, when it takes only some. */
export function modelEfforts(model: string): ModelEfforts | undefined {
  return MODEL_EFFORTS.find((row) => row.match.test(model));
}
