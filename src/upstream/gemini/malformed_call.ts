/**
 * Gemini ends an answer with `finishReason: MALFORMED_FUNCTION_CALL` when the function call its
 * model wrote does not parse (often Python, `print(default_api.Bash(…))`). Another try of the
 * same request usually gets a good call, and Google's own CLI asks once more. When that finish
 * is the answer's first event, nothing has reached the client yet, so ccp asks again once; when
 * content came first (thoughts), the answer ends with a note, as before.
 */

import { isRecord } from "../../core/json.ts";

const MALFORMED = "MALFORMED_FUNCTION_CALL";

/**
 * True when `data` (a stream's first event, or a whole JSON answer) is a candidate that ended
 * with a malformed function call and carries nothing the client would see.
 */
export function malformedCallOnly(data: string): boolean {
  if (!data.includes(MALFORMED)) return false; // every healthy answer passes here once
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return false;
  }
  const candidates = isRecord(value) && Array.isArray(value.candidates) ? value.candidates : [];
  const first = candidates.find((c) => isRecord(c) && (c.index ?? 0) === 0) ?? candidates[0];
  if (!isRecord(first) || first.finishReason !== MALFORMED) return false;
  const parts = isRecord(first.content) && Array.isArray(first.content.parts)
    ? first.content.parts
    : [];
  return parts.every((p) =>
    !isRecord(p) || (!p.functionCall && (typeof p.text !== "string" || p.text === ""))
  );
}
