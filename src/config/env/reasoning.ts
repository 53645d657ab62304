/**
 * free-claude-code's reasoning selector, read in environment-only mode: `REASONING_POLICY` for
 * every tier and `REASONING_FABLE`, `REASONING_OPUS`, `REASONING_SONNET`, `REASONING_HAIKU` per
 * tier (`inherit`, the default, takes the policy). `client` leaves the choice to the request, `off`
 * switches thinking off, an effort switches it on at that effort.
 */

import type { ReasoningEffort } from "../types.ts";
import { type EnvMap, envValue } from "./map.ts";

/** What one tier route is told: thinking off, or on at an effort. */
export type ReasoningChoice = "off" | ReasoningEffort;

/** Route name -> its own variable; the default route reads only the policy. */
const TIER_VARIABLES: Readonly<Record<string, string | undefined>> = {
  default: undefined,
  opus: "REASONING_OPUS",
  sonnet: "REASONING_SONNET",
  haiku: "REASONING_HAIKU",
  fable: "REASONING_FABLE",
};

// The selector's words (its admin page writes X-High), and ccp's own efforts, which mean the same.
const WORDS: Readonly<Record<string, ReasoningChoice | "client">> = {
  client: "client",
  off: "off",
  none: "off",
  minimal: "minimal",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "xhigh",
  "x-high": "xhigh",
  max: "max",
};

/** Each tier's choice; a tier left to the client is absent. Bad values become problem lines. */
export function reasoningFromEnv(
  env: EnvMap,
): { byRoute: Record<string, ReasoningChoice>; problems: string[] } {
  const problems: string[] = [];
  const read = (name: string, inherit: boolean) => {
    const text = envValue(env, name);
    if (text === undefined || (inherit && text.toLowerCase() === "inherit")) return undefined;
    const word = WORDS[text.toLowerCase()];
    if (!word) {
      problems.push(
        `${name}: expected ${inherit ? "inherit, " : ""}client, off, low, medium, high, xhigh ` +
          `or max, got ${JSON.stringify(text)}`,
      );
    }
    return word;
  };
  const policy = read("REASONING_POLICY", false);
  const byRoute: Record<string, ReasoningChoice> = {};
  for (const [route, name] of Object.entries(TIER_VARIABLES)) {
    const choice = (name === undefined ? undefined : read(name, true)) ?? policy;
    if (choice !== undefined && choice !== "client") byRoute[route] = choice;
  }
  return { byRoute, problems };
}
