/**
 * Answers of Gemini's that are worth one more try when they are the stream's first event, so that
 * nothing has reached the client yet:
 * - `finishReason: MALFORMED_FUNCTION_CALL`: the function call its model wrote does not parse
 *   (often Python, `print(default_api.Bash(...))`). Another try of the same request usually gets a
 *   good call, and Google's own CLI asks once more;
 * - `finishReason: STOP` with no content at all: Gemini at times ends a turn, most often right
 *   after function results, without a word or a call. Claude Code would take that for the model's
 *   last word and end the task in silence; Google's CLI counts it as a broken stream and retries.
 * When content came first (thoughts), the answer ends as it is (a malformed call with a note).
 */

import { isRecord } from "../../core/json.ts";

const MALFORMED = "MALFORMED_FUNCTION_CALL";

/** Why a first event is worth one more try, or `undefined` when it is not. */
export type FailedStartKind = "malformed call" | "empty answer";

/** The first candidate of a JSON chunk or body, with its parts. */
function firstCandidate(data: string): { finish: unknown; parts: unknown[] } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  // A blocked prompt has its own answer (a refusal that says why).
  if (!isRecord(value) || (isRecord(value.promptFeedback) && value.promptFeedback.blockReason)) {
    return undefined;
  }
  const candidates = Array.isArray(value.candidates) ? value.candidates : [];
  const first = candidates.find((c) => isRecord(c) && (c.index ?? 0) === 0) ?? candidates[0];
  if (!isRecord(first)) return undefined;
  const parts = isRecord(first.content) && Array.isArray(first.content.parts)
    ? first.content.parts
    : [];
  return { finish: first.finishReason, parts };
}

/** True when no part carries anything the client would see. */
function nothingShown(parts: unknown[]): boolean {
  return parts.every((p) =>
    !isRecord(p) || (!p.functionCall && (typeof p.text !== "string" || p.text === ""))
  );
}

/**
 * Whether `data` (a stream's first event, or a whole JSON answer) ended with a malformed function
 * call or with nothing at all, carrying nothing the client would see.
 */
export function failedStartKind(data: string): FailedStartKind | undefined {
  // Every healthy answer passes here once: only one that may end so is parsed.
  if (!data.includes(MALFORMED) && !data.includes('"STOP"')) return undefined;
  const first = firstCandidate(data);
  if (!first || !nothingShown(first.parts)) return undefined;
  if (first.finish === MALFORMED) return "malformed call";
  return first.finish === "STOP" ? "empty answer" : undefined;
}
