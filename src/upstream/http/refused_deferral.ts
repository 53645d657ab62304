/**
 * Recognising an Anthropic-compatible endpoint that does not implement Claude Code's deferred
 * tools, from its refusal. The catalog resolves them before sending for the endpoints it knows
 * (the `resolveDeferredTools` cleaning step); any other gateway that routes to non-Anthropic
 * models may say so only in a 400 ("Deferred custom tools are only supported on Anthropic
 * models ..."). Then the request is sent once more with the deferred tools resolved, and that
 * provider and model get them resolved from then on, as refused parameters are learned.
 */

import { resolveDeferredTools } from "../cleaning/deferred_tools.ts";

type Json = Record<string, unknown>;

/** The learned entry that means "resolve deferred tools" (not a top-level Messages field). */
export const NO_DEFERRAL = "deferred_tools";

const REFUSED = /deferred (?:custom )?tools are only supported on anthropic/i;

/** True when a refusal (`status`, the upstream's `message`) is of the deferred tools `sent` has. */
export function refusesDeferral(status: number | undefined, message: string, sent: Json): boolean {
  return status === 400 && REFUSED.test(message) && resolveDeferredTools(sent) !== sent;
}

/** `body` with its deferred tools resolved; the input is not changed. */
export const withoutDeferral: (body: Json) => Json = resolveDeferredTools;
