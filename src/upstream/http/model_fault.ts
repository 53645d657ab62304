/**
 * A refusal that is the model's fault, not the request's. Groq checks each tool call its model
 * writes and, when one does not parse, answers 400 `tool_use_failed` (before a stream starts,
 * or as its first event). The same request can succeed on another try, and Claude Code never
 * retries a 400: the session's turn just ends. So such an answer stands for a 502 (the upstream
 * failed to answer): ccp retries it and fails over as for any bad gateway, and the client's
 * own retry applies when nothing else answered. Mid-stream, the same code is an `api_error`
 * already (errorTypeOfCode).
 */

import { isRecord } from "../../core/json.ts";

// Error codes that say the model's output was unusable, by provider.
const MODEL_FAULT_CODES: ReadonlySet<string> = new Set([
  "tool_use_failed", // Groq: "Failed to call a function. Please adjust your prompt."
]);

/** The status an upstream's error answer stands for: 502 for a model fault, else its own. */
export function statusStandsFor(status: number, bodyText: string): number {
  if (status !== 400 || !bodyText.includes("_failed")) return status;
  let value: unknown;
  try {
    value = JSON.parse(bodyText);
  } catch {
    return status;
  }
  const error = isRecord(value) ? value.error : undefined;
  const code = isRecord(error) ? error.code : undefined;
  return typeof code === "string" && MODEL_FAULT_CODES.has(code) ? 502 : status;
}
