/**
 * 400s that are not the request's fault. A refusal that is the model's fault: Groq checks each
 * tool call its model writes and, when one does not parse, answers 400 `tool_use_failed` (before a stream starts,
 * or as its first event). The same request can succeed on another try, and Claude Code never
 * retries a 400: the session's turn just ends. So such an answer stands for a 502 (the upstream
 * failed to answer): ccp retries it and fails over as for any bad gateway, and the client's
 * own retry applies when nothing else answered. Mid-stream, the same code is an `api_error`
 * already (errorTypeOfCode). And a refused key or payment, which some APIs answer with 400
 * (below).
 */

import { isRecord } from "../../core/json.ts";

// Error codes that say the model's output was unusable, by provider.
const MODEL_FAULT_CODES: ReadonlySet<string> = new Set([
  "tool_use_failed", // Groq: "Failed to call a function. Please adjust your prompt."
]);

// Anthropic refuses a key whose account has no credit left with a 400 `invalid_request_error`:
// "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to
// upgrade or purchase credits." That is a payment refused (a 402), not a fault of the request:
// the key is set aside, another key or target may serve, and the message says to add credits.
const CREDIT_TOO_LOW = /credit balance is too low/i;

/**
 * The status an upstream's error answer stands for: 502 for a model fault, 401 for a key
 * refused with a 400, 402 for a payment refused with one, else its own.
 */
export function statusStandsFor(status: number, bodyText: string): number {
  if (status !== 400) return status;
  if (CREDIT_TOO_LOW.test(bodyText)) return 402;
  if (!bodyText.includes("_failed") && !bodyText.includes("API_KEY_INVALID")) return status;
  let value: unknown;
  try {
    value = JSON.parse(bodyText);
  } catch {
    return status;
  }
  const error = isRecord(value) ? value.error : undefined;
  if (refusesKey(error)) return 401;
  const code = isRecord(error) ? error.code : undefined;
  return typeof code === "string" && MODEL_FAULT_CODES.has(code) ? 502 : status;
}

/**
 * Gemini refuses a wrong or expired key with 400 INVALID_ARGUMENT, reason `API_KEY_INVALID`
 * ("API key not valid. Please pass a valid API key."). Taken as the 400 it says, the key was
 * never set aside: the next key was not tried, and the message did not say the key is at fault.
 */
function refusesKey(error: unknown): boolean {
  const details = isRecord(error) && Array.isArray(error.details) ? error.details : [];
  return details.some((d) => isRecord(d) && d.reason === "API_KEY_INVALID");
}
