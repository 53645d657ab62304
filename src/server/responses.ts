/** Building Anthropic-shaped HTTP answers. */

import { type ProxyError, toProxyError } from "../core/errors.ts";

/**
 * The JSON error response for anything thrown while handling a request. `headers` (the route and
 * the target actually tried) win over what the error suggests (a target it only considered).
 */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const error: ProxyError = toProxyError(err);
  return Response.json(error.toAnthropicError(), {
    status: error.status,
    headers: { ...error.headers, ...headers },
  });
}
