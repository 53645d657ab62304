/** Builds `routing:` (scenario thresholds) and `transforms:` from their parsed YAML sections. */

import type { Problems } from "./issues.ts";
import { closest } from "./suggest.ts";
import type { TransformSection } from "./schema/config.ts";
import type { RoutingConfig, Transform } from "./types.ts";

/** Input tokens above which the `long_context` route takes a request. */
const DEFAULT_LONG_CONTEXT_THRESHOLD = 60_000;
/** Thinking budget from which the `think` route takes a request. */
const DEFAULT_THINK_BUDGET_TOKENS = 32_000;

/**
 * How long a session keeps its key and target after its last request: an hour covers a pause in
 * a working session, and upstream prompt caches rarely outlive it.
 */
const DEFAULT_SESSION_AFFINITY_TTL_MS = 60 * 60_000;

/** The scenario thresholds and session affinity with their defaults. */
export function buildRouting(
  section: {
    long_context_threshold?: number;
    think_budget_tokens?: number;
    session_affinity?: boolean;
    session_affinity_ttl?: number;
  } | undefined,
): RoutingConfig {
  const ttl = section?.session_affinity_ttl ?? DEFAULT_SESSION_AFFINITY_TTL_MS;
  return {
    longContextThreshold: section?.long_context_threshold ?? DEFAULT_LONG_CONTEXT_THRESHOLD,
    thinkBudgetTokens: section?.think_budget_tokens ?? DEFAULT_THINK_BUDGET_TOKENS,
    // A ttl of 0 remembers nothing: affinity off.
    ...(section?.session_affinity === true && ttl > 0 ? { sessionAffinityTtlMs: ttl } : {}),
  };
}

// Fields a transform may not set: they decide what the request is, not how it is tuned.
const UNSETTABLE = new Set(["model", "messages", "stream", "system", "tools"]);

/** Transforms keyed by route name or provider id; each key must name one of them. */
export function buildTransforms(
  sections: Readonly<Record<string, TransformSection>> | undefined,
  names: { routes: ReadonlySet<string>; providers: ReadonlySet<string> },
  problems: Problems,
): Record<string, Transform> {
  const out: Record<string, Transform> = {};
  for (const [name, t] of Object.entries(sections ?? {})) {
    const path = ["transforms", name];
    if (!names.routes.has(name) && !names.providers.has(name)) {
      problems.add(path, "names no route and no provider (a transform applies to one of them)");
      continue;
    }
    for (const field of Object.keys(t.set ?? {})) {
      if (UNSETTABLE.has(field)) {
        problems.add([...path, "set", field], `cannot be set (use drop_tools or system_append)`);
      }
    }
    out[name] = {
      ...(t.drop_tools ? { dropTools: t.drop_tools } : {}),
      ...(t.system_append !== undefined ? { systemAppend: t.system_append } : {}),
      ...(t.set ? { set: t.set } : {}),
    };
  }
  return out;
}

/**
 * The words `x-ccp-route`, the usage ledger and `/metrics` use for a request no named route
 * decided. A route of the same name could not be told apart from them there, nor (for
 * `explicit`) in a client's `routes` list, where the word allows `provider/model` choices.
 */
const RULE_WORDS: Readonly<Record<string, string>> = {
  none: "a request refused before routing",
  local: "an answer ccp gives without a model",
  explicit: "a provider/model the client named",
  url_prefix: "a model chosen by the URL path",
  token_suffix: "a model chosen by the auth token's suffix",
  subagent_tag: "a subagent model tag",
};

/** Warnings for route names (and an alias named `explicit`) that are also rule words. */
export function ruleWordWarnings(
  file: string,
  routes: readonly string[],
  aliases: readonly string[],
): string[] {
  const clashes = [
    ...routes.filter((name) => Object.hasOwn(RULE_WORDS, name)).map((name) => `routes.${name}`),
    ...aliases.filter((name) => name === "explicit").map((name) => `aliases.${name}`),
  ];
  return clashes.map((key) => {
    const word = key.slice(key.indexOf(".") + 1);
    return `${file}: ${key}: "${word}" is also the word ccp uses for ${
      RULE_WORDS[word]
    } (in x-ccp-route, the usage ledger, /metrics and clients' routes lists): rename it so the two can be told apart`;
  });
}

/** The scenario routes, in the order they are checked. */
export const SCENARIOS = ["subagent", "web_search", "image", "long_context", "think"] as const;

/** A scenario route's name. */
export type Scenario = (typeof SCENARIOS)[number];

// Tier words in the order free-claude-code tests them (so "opus-haiku-x" picks opus); Claude
// Code's `fable` family last.
export const TIER_NAMES: readonly string[] = ["opus", "haiku", "sonnet", "fable"];

// The route names ccp gives requests to by itself: Claude Code's tiers and the scenarios. A
// missing `default` has a warning of its own.
const ROLE_NAMES: readonly string[] = [...TIER_NAMES, ...SCENARIOS];

/**
 * Warnings for route names one typo from a name ccp routes by (`sonet`, `long_contex`): such a
 * route serves only requests that name it, so the tier or scenario it was meant for goes
 * elsewhere without a word.
 */
export function roleTypoWarnings(file: string, routes: readonly string[]): string[] {
  return routes.flatMap((name) => {
    if (ROLE_NAMES.includes(name)) return [];
    const meant = closest(name, ROLE_NAMES);
    return meant === undefined || routes.includes(meant) ? [] : [
      `${file}: routes.${name}: did you mean "${meant}"? A route named "${name}" serves only ` +
      `requests that name it, so the ${meant} requests go elsewhere`,
    ];
  });
}
