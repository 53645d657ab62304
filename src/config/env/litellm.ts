/**
 * Environment-only mode in the style of the LiteLLM-based claude-code-proxy (1rgs):
 * `PREFERRED_PROVIDER` (openai | google | anthropic), `BIG_MODEL`, `SMALL_MODEL`,
 * `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `GEMINI_API_KEY`, `ANTHROPIC_API_KEY`,
 * `MAX_OUTPUT_TOKENS`. Used only when no MODEL* variable is set.
 */

import { ConfigError } from "../../core/errors.ts";
import type { Config, ModelSettings, Target } from "../types.ts";
import { type EnvMap, envValue } from "./map.ts";
import { envProviders } from "./mode.ts";
import { LITELLM_VARIABLES } from "./litellm_names.ts";
import { thinkingFromEnv, withThinking } from "./thinking.ts";
import { tuningFromEnv } from "./tuning.ts";
import { deepFreeze } from "../freeze.ts";
import { resolveServer, type ServerFlags } from "../server.ts";
import { didYouMean } from "../suggest.ts";
import { parseTokenSize } from "../units.ts";

/** Each PREFERRED_PROVIDER value: the preset it uses, the prefix LiteLLM writes, default models. */
const PREFERRED: Readonly<
  Record<string, { preset: string; prefix: string; big: string; small: string }>
> = {
  openai: { preset: "openai", prefix: "openai/", big: "gpt-4.1", small: "gpt-4.1-mini" },
  // gpt-4.1 means nothing to Gemini, so google gets Gemini defaults.
  google: { preset: "gemini", prefix: "gemini/", big: "gemini-2.5-pro", small: "gemini-2.5-flash" },
  anthropic: { preset: "anthropic", prefix: "anthropic/", big: "", small: "" },
};

/** True when a LiteLLM-style variable is set (MODEL* variables are checked first by the caller). */
export function usesLiteLLMEnv(env: EnvMap): boolean {
  return LITELLM_VARIABLES.some((name) => envValue(env, name) !== undefined);
}

/** MAX_OUTPUT_TOKENS as a cap (0 or unset = none). */
function maxOutputTokens(env: EnvMap, problems: string[]): number | undefined {
  const text = envValue(env, "MAX_OUTPUT_TOKENS");
  if (text === undefined) return undefined;
  try {
    const tokens = parseTokenSize(text);
    return tokens > 0 ? tokens : undefined;
  } catch (err) {
    problems.push(`MAX_OUTPUT_TOKENS: ${(err as Error).message}`);
    return undefined;
  }
}

/** Builds the Config the way that proxy routes: sonnet, opus and default -> BIG, haiku -> SMALL. */
export function configFromLiteLLMEnv(input: { env: EnvMap; flags?: ServerFlags }): Config {
  const { env } = input;
  const problems: string[] = [];
  const warnings: string[] = [];
  const name = (envValue(env, "PREFERRED_PROVIDER") ?? "openai").toLowerCase();
  const preferred = PREFERRED[name === "gemini" ? "google" : name];
  if (!preferred) {
    const hint = didYouMean(name, Object.keys(PREFERRED));
    problems.push(
      `PREFERRED_PROVIDER: unknown provider ${JSON.stringify(name)} (${
        hint ? `${hint}; ` : ""
      }use openai, google or anthropic)`,
    );
  }
  const cap = maxOutputTokens(env, problems);
  const tuning = tuningFromEnv(env);
  const thinking = thinkingFromEnv(env);
  problems.push(...tuning.problems, ...thinking.problems);
  warnings.push(...thinking.warnings);
  if (!preferred) throw new ConfigError(problems.join("\n"));

  const usedBy = new Map([[preferred.preset, ["PREFERRED_PROVIDER"]]]);
  const providers = envProviders(env, usedBy, tuning.defaults, problems, warnings);
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));

  const settings: ModelSettings = cap !== undefined ? { maxOutputTokens: cap } : {};
  const target = (variable: "BIG_MODEL" | "SMALL_MODEL"): Target => {
    const base = { provider: preferred.preset, ...(cap !== undefined ? { settings } : {}) };
    // anthropic: no remapping, the client's own model name goes upstream.
    if (preferred.preset === "anthropic") return { ...base, model: "*", clientModel: true };
    const fallback = variable === "BIG_MODEL" ? preferred.big : preferred.small;
    let model = envValue(env, variable) ?? fallback;
    if (model.startsWith(preferred.prefix)) model = model.slice(preferred.prefix.length);
    return { ...base, model };
  };
  if (preferred.preset === "anthropic") {
    const ignored = ["BIG_MODEL", "SMALL_MODEL"].filter((v) => envValue(env, v) !== undefined);
    if (ignored.length > 0) {
      warnings.push(
        `${ignored.join(", ")} ignored: PREFERRED_PROVIDER=anthropic passes model names through`,
      );
    }
  }
  const big = [target("BIG_MODEL")];
  const routes: Record<string, Target[]> = {
    default: withThinking(big, thinking.byRoute.default, thinking.reasoning.default),
    opus: withThinking(big, thinking.byRoute.opus, thinking.reasoning.opus),
    sonnet: withThinking(big, thinking.byRoute.sonnet, thinking.reasoning.sonnet),
    haiku: withThinking([target("SMALL_MODEL")], thinking.byRoute.haiku, thinking.reasoning.haiku),
  };
  return deepFreeze({
    source: { kind: "env", style: "litellm" },
    server: resolveServer({ flags: input.flags ?? {}, env, envOnly: true }),
    providers,
    routes,
    aliases: {},
    warnings,
  });
}
