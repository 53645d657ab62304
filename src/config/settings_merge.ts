/** Combining model settings: provider `"*"` < provider's exact model < route variant, key by key. */

import type { ModelSettings, ProviderConfig } from "./types.ts";

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Returns `base` with `patch` merged in: mappings merge recursively, anything else (lists
 * included) replaces, and a `null` in `patch` removes the key. Neither input is mutated.
 */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else {
      const current = out[key];
      out[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
    }
  }
  return out;
}

/** Layers settings: later ones win per key; `supports` per flag; `extraBody` deep-merged. */
export function mergeSettings(...layers: readonly (ModelSettings | undefined)[]): ModelSettings {
  let out: ModelSettings = {};
  for (const layer of layers) {
    if (!layer) continue;
    const supports = layer.supports ? { supports: { ...out.supports, ...layer.supports } } : {};
    // Nulls stay in the merged extra body: they must still remove fields from the request.
    const extraBody = layer.extraBody && out.extraBody
      ? { extraBody: mergeKeepingNulls(out.extraBody, layer.extraBody) }
      : {};
    out = { ...out, ...layer, ...supports, ...extraBody };
  }
  return out;
}

function mergeKeepingNulls(
  base: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isMapping(current) && isMapping(value) ? mergeKeepingNulls(current, value) : value;
  }
  return out;
}

// What each model of a provider runs with when no route variant adds to it, per provider object
// (one per config generation): a request asks several times (its transport, its chain's context
// windows, its price), and each merge built the same objects again. Bounded per provider, since
// a client may name any model.
const MERGED = new WeakMap<object, Map<string, ModelSettings>>();
const MAX_MERGED = 256;

/** The settings one request to `model` at `provider` runs with, given a route variant's. */
export function settingsFor(
  provider: Pick<ProviderConfig, "modelSettings">,
  model: string,
  variant?: ModelSettings,
): ModelSettings {
  if (variant) return merged(provider, model, variant);
  let known = MERGED.get(provider);
  if (!known) MERGED.set(provider, known = new Map());
  let settings = known.get(model);
  if (settings) return settings;
  settings = Object.freeze(merged(provider, model, undefined));
  if (known.size < MAX_MERGED) known.set(model, settings);
  return settings;
}

function merged(
  provider: Pick<ProviderConfig, "modelSettings">,
  model: string,
  variant: ModelSettings | undefined,
): ModelSettings {
  const table = provider.modelSettings ?? {};
  const entry = (name: string) => (Object.hasOwn(table, name) ? table[name] : undefined);
  return mergeSettings(entry("*"), entry(model), variant);
}
