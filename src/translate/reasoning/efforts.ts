/**
 * Reasoning efforts a model takes, by its name wherever it is served: OpenAI's Chat Completions
 * and Responses APIs, a generic OpenAI-compatible server, or OpenRouter's `openai/...` names. Such
 * a model refuses any other effort with a 400, so each translator sends the nearest one listed, and
 * OpenRouter is sent an effort rather than a token budget (it turns a budget into an effort of
 * its own choosing for these models).
 */

import type { Effort } from "../../protocols/anthropic.ts";
import type { ResponsesEffort } from "../../protocols/openai_responses.ts";
import { geminiModelInfo } from "../gemini/models.ts";
import { geminiLevelFor } from "../gemini/thinking.ts";

/** The efforts of one model family. */
export interface ModelEfforts {
  /** The efforts it takes, weakest first. */
  readonly efforts: readonly ResponsesEffort[];
  /**
   * The effort sent when the client asks for no reasoning, for a model that cannot stop
   * reasoning; absent: nothing is sent (the model reasons at its default).
   */
  readonly off?: ResponsesEffort;
  /**
   * The effort sent for the client's, when the family rounds its own way; absent: the strongest
   * listed that is not above the client's.
   */
  readonly pick?: (effort: Effort) => ResponsesEffort | undefined;
}

/** Models with a fixed set of efforts, first match wins. */
const MODEL_EFFORTS: readonly (ModelEfforts & { readonly match: RegExp })[] = [
  // gpt-5-pro (and the later -pro models) reasons at `high`, its default, and takes no other.
  { match: /gpt-5(\.\d+)?-pro/i, efforts: ["high"] },
  // grok-3-mini takes `low` and `high` only and always reasons (`low` is its least).
  { match: /grok-3-mini/i, efforts: ["low", "high"], off: "low" },
];

/**
 * Gemini 3 and later think at one of a few levels, a different set per model (the table of
 * ../gemini/models.ts, which the native Gemini API is sent too). Google's OpenAI-compatible
 * endpoints take those levels as `reasoning_effort`, and refuse the others as the native API does.
 */
function geminiEfforts(model: string): ModelEfforts | undefined {
  const name = model.toLowerCase().split("/").pop() ?? "";
  if (!name.startsWith("gemini-")) return undefined;
  const thinking = geminiModelInfo(name).thinking;
  if (thinking.kind !== "level") return undefined;
  const levels = thinking.levels;
  return {
    efforts: levels,
    // Flash's `minimal` stands for "off"; Pro cannot stop thinking and keeps its default (Google's
    // own hosts are sent its least level by the transport, as the native API is).
    ...(thinking.off ? { off: thinking.off } : {}),
    pick: (effort) => geminiLevelFor(levels, effort),
  };
}

/** The efforts `model` takes, when it takes only some. */
export function modelEfforts(model: string): ModelEfforts | undefined {
  return MODEL_EFFORTS.find((row) => row.match.test(model)) ?? geminiEfforts(model);
}
