/** The embedded default used when there is no YAML file and no MODEL* variable: local Ollama. */

import { findPreset, PRESETS } from "../providers/catalog.ts";
import { ConfigError } from "../core/errors.ts";
import type { Config } from "./types.ts";
import { type EnvMap, envValue } from "./env/map.ts";
import { envProviders, presetProvider } from "./env/mode.ts";
import { tuningFromEnv } from "./env/tuning.ts";
import { deepFreeze } from "./freeze.ts";
import { resolveServer, type ServerFlags } from "./server.ts";
import { DEFAULT_TARGET } from "./default_notice.ts";

/**
 * Builds the default Config: one route to the embedded Ollama (OLLAMA_BASE_URL etc. honoured),
 * plus every preset the environment already configures (a key, or a local preset's variables),
 * so `provider/model` reaches it before MODEL is set.
 */
export function defaultConfig(input: { env: EnvMap; flags?: ServerFlags }): Config {
  const { env } = input;
  const problems: string[] = [];
  const tuning = tuningFromEnv(env);
  problems.push(...tuning.problems);
  // Keys and base URLs set for other tools (OPENAI_API_KEY, ANTHROPIC_API_KEY...) must not keep the
  // default from starting: a preset they describe badly is left out with a warning.
  const leftOut: string[] = [];
  const providers = envProviders(
    env,
    new Map(),
    tuning.defaults,
    leftOut,
    [],
    new Set([DEFAULT_TARGET.provider]),
  );
  // The embedded default: what every request goes to, so its problems stop the start.
  const ollama = findPreset(DEFAULT_TARGET.provider);
  const built = ollama && presetProvider(ollama, env, false, tuning.defaults, problems);
  if (built) providers[built.id] = built;
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));

  // Keys without MODEL are probably a half-finished environment-only setup: say how to finish it
  // (once per variable: openai and openai_responses share OPENAI_API_KEY).
  const keyed = new Map<string, string>();
  for (const p of PRESETS) {
    if (!p.local && p.keyEnv && providers[p.id] && !keyed.has(p.keyEnv)) keyed.set(p.keyEnv, p.id);
  }
  const warnings = [
    ...[...keyed].map(([variable, id]) =>
      `${variable} is set but MODEL is not: ${id}/<model> reaches ${id}, and ` +
      `MODEL=${id}/<model> sends every request there`
    ),
    ...leftOut.map((problem) => `${problem} (that provider is left out)`),
    // free-claude-code's fallbacks follow a MODEL* route; without one there is none to follow.
    ...(envValue(env, "MODEL_FALLBACKS") === undefined ? [] : [
      "MODEL_FALLBACKS is set but MODEL is not: fallbacks follow the MODEL* routes, so they are " +
      "not used; set MODEL=provider/model too",
    ]),
  ];
  return deepFreeze({
    source: { kind: "default" },
    server: resolveServer({ flags: input.flags ?? {}, env, envOnly: true }),
    providers,
    routes: { default: [{ ...DEFAULT_TARGET }] },
    aliases: {},
    warnings,
  });
}
