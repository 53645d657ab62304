/** A route's chain as the dispatcher walks it, and the context windows along it. */

import type { Config, ModelSettings } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { ChainWindows } from "../resilience/chain_windows.ts";
import type { DispatchTarget } from "../resilience/outcome.ts";
import type { Resolution } from "../routing/resolve.ts";
import type { ChainRequest } from "../upstream/transport.ts";

/** The chain's targets; route variants carry settings, kept by the very target objects. */
export function chainOf(resolution: Resolution, config: Config): {
  chain: DispatchTarget[];
  variants: Map<DispatchTarget, ModelSettings>;
} {
  const variants = new Map<DispatchTarget, ModelSettings>();
  const chain = resolution.chain.map((t) => {
    const target: DispatchTarget = { provider: config.providers[t.provider]!, model: t.model };
    if (t.settings) variants.set(target, t.settings);
    return target;
  });
  return { chain, variants };
}

/**
 * The windows of a chain of several targets, else undefined (one target answers its refusal as
 * before). The prompt's count is used only when it costs nothing more: made for routing
 * (`long_context`), or needed by the first target's own request, which counts it anyway to fit
 * `max_tokens` into its declared `context_window` (the count is one, shared with it). A count
 * walks the whole history, cached or not; without one, a target is passed only after a refusal.
 */
export async function chainWindows(
  chain: readonly DispatchTarget[],
  variants: ReadonlyMap<DispatchTarget, ModelSettings>,
  request: Pick<ChainRequest, "inputTokens" | "countedInputTokens">,
): Promise<ChainWindows | undefined> {
  if (chain.length < 2) return undefined;
  const windows = new Map(
    chain.map((t) => [t, settingsFor(t.provider, t.model, variants.get(t)).contextWindow]),
  );
  const windowOf = (t: DispatchTarget) => windows.get(t);
  if (windows.get(chain[0]!) === undefined && request.countedInputTokens === undefined) {
    return new ChainWindows(chain, windowOf);
  }
  // A count that fails passes nothing: every target is sent the request, as before.
  const tokens = await request.inputTokens().catch(() => undefined);
  return new ChainWindows(chain, windowOf, tokens);
}
