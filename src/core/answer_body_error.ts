/**
 * An error an upstream wrote into a 200 answer's body (`{"error": {...}}` where an answer was
 * expected). Gateways and some servers do this for refusals that are the request's fault
 * (a max_tokens out of range, a context overflow), naming the real status in `code`. Told as
 * a 502, Claude Code would retry the same doomed request many times, so what the error names
 * decides, as it would for a real HTTP error, and by the same rule as for an error read at the
 * start of an answer (upstream/http/early_error.ts).
 */

import { upstreamWho } from "./text.ts";
import { overflowError, readsAsOverflow } from "./context_overflow.ts";
import { type AnthropicErrorType, STATUS_OF_ERROR_TYPE, UpstreamError } from "./errors.ts";
import { isRecord } from "./json.ts";
import { type ClientError, clientErrorOf, errorTypeOfCode } from "./upstream_status.ts";

/**
 * The HTTP status an error written into a 200 answer stands for, whether it is the body of a JSON
 * answer or a stream's first event: what it names, read as its HTTP error would be. A status in
 * `code` (OpenRouter and Gemini put it there, some gateways as a string) wins; a refused key named
 * in words is the key's fault whatever `type` says, so it rotates as a 401 would; then an
 * Anthropic error `type`, then OpenAI's code in words. Undefined for an error that names nothing
 * (a bad gateway), unless its words are those of an over-long prompt: LM Studio streams that
 * refusal as `{"error": "<words>"}`, and as the 400 it is, the client is told it in the words it
 * compacts on; as a 502, Claude Code would send the same prompt again and again.
 */
export function statusOfAnswerError(error: unknown): number | undefined {
  if (!isRecord(error)) return unnamedStatus(typeof error === "string" ? error : "");
  const { code, type } = error;
  const status = typeof code === "string" && /^\d{3}$/.test(code) ? Number(code) : code;
  if (typeof status === "number" && status >= 400 && status <= 599) return status;
  if (typeof code === "string" && /api_key|unauthori[sz]ed|authentication/i.test(code)) return 401;
  if (typeof type === "string" && Object.hasOwn(STATUS_OF_ERROR_TYPE, type)) {
    return STATUS_OF_ERROR_TYPE[type as AnthropicErrorType];
  }
  if (typeof code === "string") return STATUS_OF_ERROR_TYPE[errorTypeOfCode(code)];
  return unnamedStatus(typeof error.message === "string" ? error.message : "");
}

function unnamedStatus(message: string): number | undefined {
  return readsAsOverflow(message) ? 400 : undefined;
}

/** The client-facing error for an error body inside a 200 answer. */
export function answerBodyError(
  target: { provider: string; upstreamModel: string },
  detail: string,
  error: { code?: unknown; type?: unknown },
): UpstreamError {
  const status = statusOfAnswerError({ ...error, message: detail });
  const mapped: ClientError = clientErrorOf(status);
  const said = `${upstreamWho(target)} returned an error: ${detail}`;
  const overflow = status === undefined ? undefined : overflowError(status, detail, said);
  if (overflow) return overflow;
  return new UpstreamError(mapped.type, said, { status: mapped.status, upstreamStatus: status });
}
