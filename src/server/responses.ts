/** Building Anthropic-shaped HTTP answers. */

import { type ProxyError, toProxyError } from "../core/errors.ts";
import { DEFAULT_BACKOFF, parseRetryAfter } from "../resilience/backoff.ts";

/**
 * The JSON error response for anything thrown while handling a request. `headers` (the route and
 * the target actually tried) win over what the error suggests (a target it only considered).
 */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const error: ProxyError = toProxyError(err);
  const all = new Headers({ ...error.headers, ...headers });
  if (!all.has("x-should-retry") && waitTooLong(all.get("retry-after"))) {
    all.set("x-should-retry", "false");
  }
  return Response.json(error.toAnthropicError(), { status: error.status, headers: all });
}

/**
 * Whether a `Retry-After` asks for a wait no client should sit out inside one call. The Anthropic
 * SDKs honour any wait they are given: a key set aside for half an hour, a budget that resets
 * next week or a daily quota would hang the caller's request (and Claude Code's turn) that long
 * without a word, to be refused again. Past the longest wait ccp itself sits out upstream, the
 * answer says not to retry, so the error and its wait are shown at once; a shorter wait is left
 * to the client's own retries.
 */
function waitTooLong(retryAfter: string | null): boolean {
  const ms = parseRetryAfter(retryAfter, Date.now());
  return ms !== undefined && ms > DEFAULT_BACKOFF.maxRetryAfterMs;
}
