/** The embedded default used when there is no YAML file and no MODEL* variable: local Ollama. */

import { findPreset, LOCAL_PRESET_IDS, PRESETS } from "../providers/catalog.ts";
import { ConfigError } from "../core/errors.ts";
import type { Config, ProviderConfig } from "./types.ts";
import type { EnvMap } from "./env/map.ts";
import { hasKeyInEnv, sectionFromEnv, touchedInEnv } from "./env/preset.ts";
import { tuningFromEnv } from "./env/tuning.ts";
import { deepFreeze } from "./freeze.ts";
import { buildProvider } from "./provider_build.ts";
import { resolveServer, type ServerFlags } from "./server.ts";

/** The route every request takes in default mode. */
export const DEFAULT_TARGET = { provider: "ollama", model: "qwen3-coder" } as const;

/** Builds the default Config: the local presets (OLLAMA_BASE_URL etc. honoured), one route. */
export function defaultConfig(input: { env: EnvMap; flags?: ServerFlags }): Config {
  const { env } = input;
  const problems: string[] = [];
  const tuning = tuningFromEnv(env);
  problems.push(...tuning.problems);
  const providers: Record<string, ProviderConfig> = {};
  for (const id of LOCAL_PRESET_IDS) {
    const preset = findPreset(id);
    // The embedded default is Ollama; another local preset exists only when its variables are set.
    if (!preset || (id !== DEFAULT_TARGET.provider && !touchedInEnv(preset, env))) continue;
    try {
      const own = sectionFromEnv(preset, env);
      const implicit = !touchedInEnv(preset, env);
      const built = buildProvider({ id, preset, defaults: tuning.defaults, own, implicit });
      for (const p of built.problems) {
        problems.push(
          `${(p.key === "base_url" ? preset.baseUrlEnv : undefined) ?? id}: ${p.message}`,
        );
      }
      if (built.provider) providers[id] = built.provider;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));

  // Keys without MODEL are probably a half-finished environment-only setup: say how to finish it.
  const warnings = PRESETS.filter((p) => !p.local && hasKeyInEnv(p, env)).map((p) =>
    `${p.keyEnv} is set but MODEL is not; set MODEL=${p.id}/<model> to use ${p.id}`
  );
  return deepFreeze({
    source: { kind: "default" },
    server: resolveServer({ flags: input.flags ?? {}, env, envOnly: true }),
    providers,
    routes: { default: [{ ...DEFAULT_TARGET }] },
    aliases: {},
    warnings,
  });
}

/** The start-up line for default mode: what is used, and how to configure something else. */
export function defaultModeNotice(config: Config): string {
  const ollama = config.providers[DEFAULT_TARGET.provider];
  const where = ollama ? ` at ${ollama.baseUrl}` : "";
  return `No config file and no MODEL variable: using the built-in default, ` +
    `${DEFAULT_TARGET.provider}/${DEFAULT_TARGET.model}${where}. ` +
    `Run "ccp init" to write a commented config.yaml, or set MODEL=provider/model ` +
    `(e.g. MODEL=open_router/qwen/qwen3-coder with OPENROUTER_API_KEY).`;
}
