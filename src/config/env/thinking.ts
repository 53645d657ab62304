/**
 * free-claude-code's thinking switches, read in environment-only mode: `ENABLE_MODEL_THINKING`
 * and the per-tier `ENABLE_OPUS_THINKING`, `ENABLE_SONNET_THINKING`, `ENABLE_HAIKU_THINKING`
 * (blank = inherit). Each becomes a `thinking: on|off` variant setting on its tier's route.
 */

import type { Target } from "../types.ts";
import { type EnvMap, envValue } from "./map.ts";
import { type ReasoningChoice, reasoningFromEnv } from "./reasoning.ts";

/**
 * Route name -> the variable that switches its thinking (default reads the global one). The fable
 * tier has no switch of its own in free-claude-code, so it follows the global one.
 */
const THINKING_VARIABLES: Readonly<Record<string, string | undefined>> = {
  default: "ENABLE_MODEL_THINKING",
  opus: "ENABLE_OPUS_THINKING",
  sonnet: "ENABLE_SONNET_THINKING",
  haiku: "ENABLE_HAIKU_THINKING",
  fable: undefined,
};

// free-claude-code refuses to start with these; ccp names the replacement instead.
const RENAMED: Readonly<Record<string, string>> = {
  NIM_ENABLE_THINKING: "ENABLE_MODEL_THINKING",
  ENABLE_THINKING: "ENABLE_MODEL_THINKING",
};

const WORDS: Readonly<Record<string, "on" | "off">> = {
  true: "on",
  "1": "on",
  yes: "on",
  on: "on",
  false: "off",
  "0": "off",
  no: "off",
  off: "off",
};

/**
 * The thinking switch of each tier route (`byRoute`) and its REASONING_* choice (`reasoning`,
 * which wins where both are set: it is free-claude-code's newer setting); unset variables leave
 * thinking to the client.
 */
export function thinkingFromEnv(env: EnvMap): {
  byRoute: Record<string, "on" | "off">;
  reasoning: Record<string, ReasoningChoice>;
  problems: string[];
  warnings: string[];
} {
  const reasoning = reasoningFromEnv(env);
  const problems: string[] = [...reasoning.problems];
  const read = (name: string): "on" | "off" | undefined => {
    const text = envValue(env, name);
    if (text === undefined) return undefined;
    const word = WORDS[text.toLowerCase()];
    if (!word) problems.push(`${name}: expected true or false, got ${JSON.stringify(text)}`);
    return word;
  };
  const global = read("ENABLE_MODEL_THINKING");
  const byRoute: Record<string, "on" | "off"> = {};
  for (const [route, name] of Object.entries(THINKING_VARIABLES)) {
    const value = route === "default" || name === undefined ? global : read(name) ?? global;
    if (value) byRoute[route] = value;
  }
  const warnings = Object.entries(RENAMED)
    .filter(([old]) => envValue(env, old) !== undefined)
    .map(([old, now]) => `${old} is no longer read; set ${now} instead`);
  return { byRoute, reasoning: reasoning.byRoute, problems, warnings };
}

/**
 * The chain with `thinking` added to each target's variant settings, or the reasoning choice in
 * its place: `off` switches thinking off, an effort switches it on at that effort.
 */
export function withThinking(
  chain: readonly Target[],
  thinking?: "on" | "off",
  reasoning?: ReasoningChoice,
): Target[] {
  const settings = reasoning === "off"
    ? { thinking: "off" as const }
    : reasoning !== undefined
    ? { thinking: "on" as const, reasoningEffort: reasoning }
    : thinking
    ? { thinking }
    : undefined;
  if (!settings) return [...chain];
  return chain.map((t) => ({ ...t, settings: { ...t.settings, ...settings } }));
}
