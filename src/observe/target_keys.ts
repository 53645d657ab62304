/**
 * How many of a provider's keys can serve one upstream model now. A 429 cools a key down for the
 * model that answered it only, so a provider-wide count says "ready" for a key that cannot serve
 * that model: the status page and /metrics count per target, the same way.
 */

import type { Config } from "../config/types.ts";
import type { KeySnapshot } from "../resilience/key_pool.ts";

/** Keys of one target by state. */
export interface TargetKeys {
  ready: number;
  cooling: number;
  blocked: number;
}

/** One key's state for `model`: cooling for it (or as a whole) is cooling; another model's is not. */
export function keyStateFor(key: KeySnapshot, model: string): KeySnapshot["state"] {
  return key.state === "ready" && key.models?.[model] !== undefined ? "cooling" : key.state;
}

/**
 * The keys of `pool` by their state for `model`. A pool not built yet (the provider had no request)
 * has every key ready: `configuredKeys`, or the one "no key" entry of a provider without keys.
 */
export function targetKeys(
  pool: readonly KeySnapshot[] | undefined,
  configuredKeys: number,
  model: string,
): TargetKeys {
  const keys: TargetKeys = { ready: 0, cooling: 0, blocked: 0 };
  if (!pool) keys.ready = Math.max(1, configuredKeys);
  for (const k of pool ?? []) keys[keyStateFor(k, model)]++;
  return keys;
}

/** Every `provider/model` routes and aliases name, once, with its provider's key count. */
export function configuredTargets(
  config: Pick<Config, "routes" | "aliases" | "providers">,
): { provider: string; model: string; keys: number }[] {
  const out = new Map<string, { provider: string; model: string; keys: number }>();
  for (const chain of [...Object.values(config.routes), ...Object.values(config.aliases)]) {
    for (const { provider, model } of chain) {
      const keys = config.providers[provider]?.apiKeys.length ?? 0;
      out.set(JSON.stringify([provider, model]), { provider, model, keys });
    }
  }
  return [...out.values()];
}
