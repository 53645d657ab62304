/**
 * The usage headers of a Claude plan, relayed to the client for an `auth: passthrough` provider.
 *
 * Anthropic answers a request made with a Claude plan's login with `anthropic-ratelimit-unified-*`
 * headers: how much of each usage window is spent, whether the plan still allows requests, when
 * each window resets. Claude Code reads them to warn that a limit is near and to say when a spent
 * limit lifts. They describe the client's own plan, so only an answer sent with the client's own
 * credential carries them on: never a key-based provider's (that would describe ccp's account).
 */

import type { ProviderConfig } from "../../config/types.ts";

const PREFIX = "anthropic-ratelimit-unified-";
// Bounds against an upstream that sends more than usage figures under that prefix.
const MAX_HEADERS = 64;
const MAX_VALUE = 256;

/** The plan headers of `headers` to relay, or undefined (none, or not a passthrough provider). */
export function planHeaders(
  provider: Pick<ProviderConfig, "auth">,
  headers: Headers | undefined,
): Record<string, string> | undefined {
  if (provider.auth !== "passthrough" || headers === undefined) return undefined;
  let out: Record<string, string> | undefined;
  let count = 0;
  // forEach, not the iterator: it costs far less per header on Deno's Headers.
  headers.forEach((value, name) => {
    if (!name.startsWith(PREFIX) || value.length > MAX_VALUE || count >= MAX_HEADERS) return;
    count++;
    (out ??= {})[name] = value;
  });
  return out;
}
