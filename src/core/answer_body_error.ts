/**
 * An error an upstream wrote into a 200 answer's body (`{"error": {...}}` where an answer was
 * expected). Gateways and some servers do this for refusals that are the request's fault
 * (a max_tokens out of range, a context overflow), naming the real status in `code`. Told as
 * a 502, Claude Code would retry the same doomed request many times, so the body's own status
 * (or OpenAI's `invalid_request_error` type) decides, as it would for a real HTTP error.
 */

import { upstreamWho } from "./text.ts";
import { overflowError, readsAsOverflow } from "./context_overflow.ts";
import { UpstreamError } from "./errors.ts";
import { type ClientError, clientErrorOf } from "./upstream_status.ts";

function statusOf(code: unknown, type: unknown, detail: string): number | undefined {
  const n = typeof code === "string" && /^\d{3}$/.test(code) ? Number(code) : code;
  if (typeof n === "number" && n >= 400 && n <= 599) return n;
  if (type === "invalid_request_error") return 400;
  // An error that names nothing but reads as an over-long prompt (LM Studio's) is that refusal.
  return code === undefined && type === undefined && readsAsOverflow(detail) ? 400 : undefined;
}

/** The client-facing error for an error body inside a 200 answer. */
export function answerBodyError(
  target: { provider: string; upstreamModel: string },
  detail: string,
  error: { code?: unknown; type?: unknown },
): UpstreamError {
  const status = statusOf(error.code, error.type, detail);
  const mapped: ClientError = clientErrorOf(status);
  const said = `${upstreamWho(target)} returned an error: ${detail}`;
  const overflow = status === undefined ? undefined : overflowError(status, detail, said);
  if (overflow) return overflow;
  return new UpstreamError(mapped.type, said, { status: mapped.status, upstreamStatus: status });
}
