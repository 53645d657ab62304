/** Reads one preset's free-claude-code variables (keys, base URL, proxy, usage limit) into a provider section. */

import { type Preset, PRESETS } from "../../providers/catalog.ts";
import type { ProviderSection } from "../schema/config.ts";
import { type EnvMap, envValue, splitList, unique } from "./map.ts";
import { editDistance } from "../suggest.ts";

/** The preset's variables that are set, as YAML-style provider keys; throws RangeError on a bad number. */
export function sectionFromEnv(preset: Preset, env: EnvMap): ProviderSection {
  const keys = unique([
    ...splitList(envValue(env, preset.keyEnv) ?? ""),
    ...splitList(envValue(env, preset.keysEnv) ?? ""),
  ]);
  const baseUrl = envValue(env, preset.baseUrlEnv);
  const proxy = envValue(env, proxyVariable(preset, env));
  const limitText = envValue(env, preset.keyUsageLimitEnv);
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText)) {
      throw new RangeError(
        `${preset.keyUsageLimitEnv}: expected a whole number 0 or more, got ${
          JSON.stringify(limitText)
        }`,
      );
    }
  }
  return {
    ...(keys.length > 0 ? { api_keys: keys } : {}),
    ...(baseUrl !== undefined ? { base_url: baseUrl } : {}),
    ...(proxy !== undefined ? { proxy } : {}),
    ...(limit !== undefined ? { key_usage_limit: limit } : {}),
  };
}

/** The preset's proxy variable: its alias when only that one is set. */
export function proxyVariable(preset: Preset, env: EnvMap): string {
  const alias = preset.proxyEnvAlias;
  return alias !== undefined && envValue(env, preset.proxyEnv) === undefined &&
      envValue(env, alias) !== undefined
    ? alias
    : preset.proxyEnv;
}

/** The preset's key variables that are set: what a problem with its keys names. */
export function setKeyVariables(preset: Preset, env: EnvMap): string[] {
  return [preset.keyEnv, preset.keysEnv].filter((name): name is string =>
    envValue(env, name) !== undefined
  );
}

/** True when any of the preset's key variables is set. */
export function hasKeyInEnv(preset: Preset, env: EnvMap): boolean {
  return setKeyVariables(preset, env).length > 0;
}

/** True when the user set any of the preset's variables (so it is no longer merely implicit). */
export function touchedInEnv(preset: Preset, env: EnvMap): boolean {
  return [preset.keyEnv, preset.keysEnv, preset.baseUrlEnv, proxyVariable(preset, env)]
    .some((name) => envValue(env, name) !== undefined);
}

// Variables ccp reads as keys or tokens: never a stray spelling of a provider's key.
const READ_AS_KEYS: ReadonlySet<string> = new Set([
  ...PRESETS.flatMap((p) => [p.keyEnv, p.keysEnv]).filter((name) => name !== undefined),
  "ANTHROPIC_AUTH_TOKEN",
  "CCP_AUTH_TOKEN",
]);

/**
 * Set variables that look like a key for `preset` but are not one ccp reads (`NVIDIA_API_KEY`,
 * `NIM_API_KEY` for `NVIDIA_NIM_API_KEY`): the usual reason a key "is set" yet ccp has none.
 */
export function strayKeyVariables(preset: Preset, env: EnvMap): string[] {
  if (!preset.keyEnv) return [];
  const words = preset.keyEnv.replace(/_API_KEY$/, "").split("_").filter((w) => w.length >= 3);
  const looksLike = (name: string) => {
    const upper = name.toUpperCase();
    const parts = upper.split("_");
    // A whole word of the provider's name, or its start written with other underscores, or
    // the word misspelt (OPENROUTR_API_KEY).
    return words.some((w) =>
      parts.includes(w) || upper.replaceAll("_", "").startsWith(w) ||
      (w.length >= 5 && parts.some((part) => editDistance(part, w) <= 2))
    );
  };
  return Object.keys(env).filter((name) =>
    !READ_AS_KEYS.has(name) && /_(KEYS?|TOKEN)$/i.test(name) && envValue(env, name) !== undefined &&
    looksLike(name)
  );
}
