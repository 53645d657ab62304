/** Building Anthropic-shaped HTTP answers. */

import { type ProxyError, toProxyError } from "../core/errors.ts";
import { parseRetryAfter } from "../resilience/backoff.ts";

/**
 * The JSON error response for anything thrown while handling a request. `headers` (the route and
 * the target actually tried) win over what the error suggests (a target it only considered).
 */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const error: ProxyError = toProxyError(err);
  const all = new Headers({ ...error.headers, ...headers });
  // Also over an `x-should-retry: true` (a model server still loading): its wait is the upstream's.
  if (all.get("x-should-retry") !== "false" && waitTooLong(all.get("retry-after"))) {
    all.set("x-should-retry", "false");
  }
  return Response.json(error.toAnthropicError(), { status: error.status, headers: all });
}

/**
 * Past this a wait is not sat out inside one call. A cool-down of a minute or a few (the usual
 * per-minute limits) is: Claude Code shows its countdown and then gets the answer, as it would
 * from Anthropic. A key set aside for half an hour, a budget that resets next week or a daily
 * quota would hang the caller's request (and Claude Code's turn) that long without a word.
 */
const LONGEST_CLIENT_WAIT_MS = 5 * 60_000;

/**
 * Whether a `Retry-After` asks for a wait no client should sit out inside one call: the Anthropic
 * SDKs honour any wait they are given, so such an answer says not to retry, and the error and its
 * wait are shown at once.
 */
function waitTooLong(retryAfter: string | null): boolean {
  const ms = parseRetryAfter(retryAfter, Date.now());
  return ms !== undefined && ms > LONGEST_CLIENT_WAIT_MS;
}
