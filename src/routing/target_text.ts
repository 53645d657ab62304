/** How ccp writes a target and a failover chain for people: in listings, logs and messages. */

import type { Target } from "../config/types.ts";

/** Formats a target as `provider/model` (`provider/<client model>` for a passthrough target). */
export function formatTarget(target: Target): string {
  return `${target.provider}/${target.clientModel ? "<client model>" : target.model}`;
}

/**
 * Formats a chain as `nim/glm4.7 -> local/qwen3-coder` (with an arrow): how GET /v1/models names
 * a route's targets, which `ccp code` reads back from a running ccp.
 */
export function formatChain(chain: readonly Target[]): string {
  return chain.map(formatTarget).join(" \u2192 ");
}
