/** A route's chain as the dispatcher walks it, and the context windows along it. */

import type { Config, ModelSettings } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { ChainWindows } from "../resilience/chain_windows.ts";
import type { DispatchTarget } from "../resilience/outcome.ts";
import type { Resolution } from "../routing/resolve.ts";

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
 * before). The prompt is counted only when a target before the last declares its
 * `context_window`, as that target's own request counts it anyway to fit `max_tokens` (the count
 * is one, shared with it, and cached by content).
 */
export async function chainWindows(
  chain: readonly DispatchTarget[],
  variants: ReadonlyMap<DispatchTarget, ModelSettings>,
  inputTokens: () => Promise<number>,
): Promise<ChainWindows | undefined> {
  if (chain.length < 2) return undefined;
  const windows = new Map(
    chain.map((t) => [t, settingsFor(t.provider, t.model, variants.get(t)).contextWindow]),
  );
  const windowOf = (t: DispatchTarget) => windows.get(t);
  if (chain.slice(0, -1).every((t) => windows.get(t) === undefined)) {
    return new ChainWindows(chain, windowOf);
  }
  // A count that fails passes nothing: every target is sent the request, as before.
  const tokens = await inputTokens().catch(() => undefined);
  return new ChainWindows(chain, windowOf, tokens);
}
