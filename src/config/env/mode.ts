/** Environment-only mode (no YAML file): free-claude-code's MODEL* and provider variables -> Config. */

import { ConfigError } from "../../core/errors.ts";
import { type Preset, PRESET_IDS, PRESETS } from "../../providers/catalog.ts";
import type { Config, ProviderConfig, Target } from "../types.ts";
import { type EnvMap, envValue } from "./map.ts";
import type { ProviderDefaultsSection, ProviderSection } from "../schema/config.ts";
import {
  hasKeyInEnv,
  proxyVariable,
  sectionFromEnv,
  setKeyVariables,
  strayKeyVariables,
  touchedInEnv,
} from "./preset.ts";
import { LITELLM_VARIABLES } from "./litellm_names.ts";
import { MODEL_VARIABLES } from "./mode_names.ts";
import { thinkingFromEnv, withThinking } from "./thinking.ts";
import { tuningFromEnv } from "./tuning.ts";
import { fccUnreadWarnings } from "./fcc_unread.ts";
import { deepFreeze } from "../freeze.ts";
import { buildProvider } from "../provider_build.ts";
import { envAddressAt, envAddressFix } from "../address_fix.ts";
import { foreignKeyWarnings } from "../key_owner.ts";
import { resolveServer, type ServerFlags } from "../server.ts";
import { didYouMean } from "../suggest.ts";
import { parseTarget } from "../targets.ts";

/** True when any MODEL* variable is set, which selects environment-only mode. */
export function usesEnvMode(env: EnvMap): boolean {
  return Object.keys(MODEL_VARIABLES).some((name) => envValue(env, name) !== undefined);
}

/** Parses a MODEL* value: `provider_id/model/name`, or a comma-separated failover list of them. */
function parseChain(variable: string, text: string, problems: string[], env: EnvMap): Target[] {
  const chain: Target[] = [];
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const target = parseTarget(item, "nvidia_nim/z-ai/glm4.7");
    if ("message" in target) problems.push(`${variable}: ${target.message}`);
    else if (!PRESET_IDS.includes(target.provider)) {
      const hint = didYouMean(target.provider, PRESET_IDS) ?? keyedPresetHint(item, env);
      problems.push(
        `${variable}: unknown provider "${target.provider}" in "${item}" (${
          hint ? `${hint}; ` : ""
        }known: ${PRESET_IDS.join(", ")})`,
      );
    } else chain.push(target);
  }
  return chain;
}

/**
 * For a MODEL* item whose provider is no preset, when exactly one hosted preset has a key set: the
 * item that names it. `moonshotai/kimi-k2.5` (the model alone, as the provider lists it) gets the
 * preset in front; `nim/moonshotai/kimi-k2.5` (a provider spelled another way) gets it instead.
 */
function keyedPresetHint(item: string, env: EnvMap): string | undefined {
  const keyed = PRESETS.filter((p) => !p.local && hasKeyInEnv(p, env));
  const [only] = keyed;
  if (keyed.length !== 1 || !only?.keyEnv) return undefined;
  const slashes = item.split("/").length - 1;
  const model = slashes >= 2 ? item.slice(item.indexOf("/") + 1) : item;
  return `did you mean "${only.id}/${model}"? (${only.keyEnv} is set)`;
}

/** Builds one preset provider from its variables, naming the variable in any problem. */
export function presetProvider(
  preset: Preset,
  env: EnvMap,
  named: boolean,
  defaults: ProviderDefaultsSection,
  problems: string[],
): ProviderConfig | undefined {
  let own: ProviderSection;
  try {
    own = sectionFromEnv(preset, env);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
  if (preset.baseUrl === "" && own.base_url === undefined) {
    problems.push(
      `${preset.baseUrlEnv}: not set; the ${preset.id} provider needs its API root ` +
        `(e.g. http://127.0.0.1:8000/v1)`,
    );
    return undefined;
  }
  const implicit = preset.local && !named && !touchedInEnv(preset, env);
  const built = buildProvider({ id: preset.id, preset, defaults, own, implicit });
  const where: Readonly<Record<string, string | undefined>> = {
    base_url: preset.baseUrlEnv,
    proxy: proxyVariable(preset, env),
    api_keys: setKeyVariables(preset, env).join(" or "),
  };
  for (const p of built.problems) problems.push(`${where[p.key] ?? preset.id}: ${p.message}`);
  const addressFix = envAddressFix(preset);
  const addressAt = envAddressAt(preset);
  return built.provider && addressFix && addressAt
    ? { ...built.provider, addressFix, addressAt }
    : built.provider;
}

/**
 * Builds every preset provider the environment asks for: those named by a route (`usedBy`:
 * provider id -> variables naming it), those with a key set, and the local ones.
 */
export function envProviders(
  env: EnvMap,
  usedBy: ReadonlyMap<string, readonly string[]>,
  defaults: ProviderDefaultsSection,
  problems: string[],
  warnings: string[],
  skip: ReadonlySet<string> = new Set(),
): Record<string, ProviderConfig> {
  const providers: Record<string, ProviderConfig> = {};
  for (const preset of PRESETS) {
    if (skip.has(preset.id)) continue;
    const named = usedBy.has(preset.id);
    // A local preset exists only when a MODEL* variable names it or one of its variables is set:
    // otherwise a client could make ccp post to any local port the catalog knows.
    const wanted = named || hasKeyInEnv(preset, env) || (preset.local && touchedInEnv(preset, env));
    if (!wanted) continue;
    const provider = presetProvider(preset, env, named, defaults, problems);
    if (!provider) continue;
    providers[preset.id] = provider;
    const holder = setKeyVariables(preset, env).join(" or ");
    for (const warning of foreignKeyWarnings(provider)) warnings.push(`${holder}: ${warning}`);
    if (named && !preset.local && preset.keyEnv && provider.apiKeys.length === 0) {
      const stray = strayKeyVariables(preset, env).map((name) =>
        `; ${name} is set, but ccp does not read it`
      );
      warnings.push(
        `${preset.id} has no API key: set ${preset.keyEnv} (used by ${
          (usedBy.get(preset.id) ?? []).join(", ")
        })${stray.join("")}`,
      );
    }
  }
  return providers;
}

function sameTarget(a: Target, b: Target): boolean {
  return a.provider === b.provider && a.model === b.model;
}

/** Builds the Config from the environment; throws ConfigError naming each bad variable. */
export function configFromEnv(input: { env: EnvMap; flags?: ServerFlags }): Config {
  const { env } = input;
  const problems: string[] = [];
  const warnings: string[] = [];

  const chains: Record<string, Target[]> = {};
  const usedBy = new Map<string, string[]>();
  for (const [variable, route] of Object.entries(MODEL_VARIABLES)) {
    const text = envValue(env, variable);
    if (text === undefined) continue;
    const chain = parseChain(variable, text, problems, env);
    chains[route] = chain;
    for (const t of chain) usedBy.set(t.provider, [...(usedBy.get(t.provider) ?? []), variable]);
  }

  // free-claude-code's cross-provider fallbacks: tried after each route's own targets.
  const fallbacksText = envValue(env, "MODEL_FALLBACKS");
  const fallbacks = fallbacksText === undefined
    ? []
    : parseChain("MODEL_FALLBACKS", fallbacksText, problems, env);
  for (const t of fallbacks) {
    usedBy.set(t.provider, [...(usedBy.get(t.provider) ?? []), "MODEL_FALLBACKS"]);
  }

  const tuning = tuningFromEnv(env);
  problems.push(...tuning.problems);
  const thinking = thinkingFromEnv(env);
  problems.push(...thinking.problems);
  warnings.push(...thinking.warnings);
  const providers = envProviders(env, usedBy, tuning.defaults, problems, warnings);
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  const ignored = LITELLM_VARIABLES.filter((name) => envValue(env, name) !== undefined);
  if (ignored.length > 0) {
    warnings.push(`${ignored.join(", ")} ignored: MODEL* variables take precedence`);
  }
  warnings.push(...fccUnreadWarnings(env));

  // Blank tiers inherit MODEL; without MODEL the first tier given becomes the default.
  const routes: Record<string, Target[]> = {};
  let fallback = chains.default;
  if (fallback === undefined) {
    const [route, chain] = Object.entries(chains)[0] ?? [];
    fallback = chain ?? [];
    warnings.push(`MODEL is not set; using MODEL_${String(route).toUpperCase()} as the default`);
  }
  for (const route of Object.values(MODEL_VARIABLES)) {
    const own = chains[route] ?? fallback;
    // A target already in the chain (the route's own, or a fallback listed twice) is tried once.
    const chain = [...own];
    for (const t of fallbacks) if (!chain.some((o) => sameTarget(o, t))) chain.push(t);
    routes[route] = withThinking(chain, thinking.byRoute[route], thinking.reasoning[route]);
  }

  return deepFreeze({
    source: { kind: "env" },
    server: resolveServer({ flags: input.flags ?? {}, env, envOnly: true }),
    providers,
    routes,
    aliases: {},
    warnings,
  });
}
