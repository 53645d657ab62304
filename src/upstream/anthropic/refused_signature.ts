/**
 * Anthropic's 400 for a thinking block whose signature it cannot verify. ccp strips the ones it
 * knows are not Anthropic's (its own, and those it relayed from other servers), but a signature
 * can come from elsewhere: a session resumed after ccp restarted, or one another proxy or
 * provider served before. Claude Code sends the block back on every later turn, so without
 * help each turn of the session fails the same way.
 */

import { upstreamMessage } from "../../core/upstream_message.ts";

// "messages.3.content.0: Invalid `signature` in `thinking` block"
const REFUSED = /invalid\W{0,2}signature\W{0,2} in\W{0,2}(?:redacted_)?thinking\W{0,2} block/i;

/** True when a 400 answer says a thinking block's signature was refused. */
export function refusesSignature(
  status: number | undefined,
  bodyText: string | undefined,
): boolean {
  return status === 400 && bodyText !== undefined && REFUSED.test(upstreamMessage(bodyText));
}

// "messages.3.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`.
// When `thinking` is enabled, a final `assistant` message must start with a thinking block ..."
const THINKING_FIRST = /final\W{0,2}assistant\W{0,2} message must start with a thinking block/i;

/**
 * True when a 400 answer says the turn in progress must lead with thinking: the last answer of a
 * tool loop has none (another provider's, whose thinking Anthropic cannot take), and the request
 * asks for thinking.
 */
export function refusesTurnWithoutThinking(
  status: number | undefined,
  bodyText: string | undefined,
): boolean {
  return status === 400 && bodyText !== undefined &&
    THINKING_FIRST.test(upstreamMessage(bodyText));
}
