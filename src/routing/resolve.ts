/**
 * Model resolution: which chain of targets serves a request, and the name of the rule that
 * decided (sent back as `x-ccp-route`). Pure, no I/O. It sees the whole request, so a rule that
 * looks at more than the model name (a scenario route) is one more step in `pick`.
 */

import type { Config, Target } from "../config/types.ts";
import { ClientRequestError } from "../core/errors.ts";
import { ownValue } from "../core/json.ts";
import { PRESET_IDS } from "../providers/catalog.ts";
import { buildRouting, type Scenario, SCENARIOS, TIER_NAMES } from "../config/routing.ts";
import { withoutDiscoveryPrefix } from "./discovery_ids.ts";
import { commaProvider, commaTarget } from "./comma_target.ts";
import { MAX_MODEL_CHARS } from "../protocols/anthropic_request_check.ts";
import {
  hasWebSearch,
  isSubagent,
  lastUserHasImage,
  mayExceedTokens,
  subagentTag,
  wantsDeepThinking,
} from "./scenarios.ts";

/**
 * Which rule matched, first match wins: URL prefix, token suffix, alias, provider/model (or
 * claude-code-router's provider,model), a route named exactly or picked from the list, a subagent
 * tag, a scenario route, tier, default.
 */
export type ResolutionRule =
  | "url_prefix"
  | "token_suffix"
  | "alias"
  | "provider"
  | "route"
  | "subagent_tag"
  | "scenario"
  | "tier"
  | "default";

/** The outcome: an ordered failover chain and why it was chosen. */
export interface Resolution {
  readonly chain: readonly Target[];
  readonly rule: ResolutionRule;
  /** The route or alias name when the chain came from one. */
  readonly name?: string;
  /** What `x-ccp-route` says: `default`, `opus`, `alias:<name>`, `explicit`, `url_prefix`, ... */
  readonly route: string;
  /** The key under `routes` whose chain this is, however it was chosen (its transforms apply). */
  readonly routeKey?: string;
}

/** The request fields resolution may read; the whole validated body is passed. */
export interface RoutableRequest {
  readonly model: string;
  readonly [field: string]: unknown;
}

/** What the request offers for resolution. */
export interface ResolutionInput {
  /** The validated request body. */
  readonly request: RoutableRequest;
  /** The `<provider>:<model>` URL prefix (already URL-decoded), if any. */
  readonly urlPrefix?: string;
  /** The `<provider>/<model>` (or alias) written after the token's first `:`, if any. */
  readonly tokenSuffix?: string;
  /**
   * The request's local input-token count (what count_tokens reports), made by the caller when
   * {@link needsExactCount} says so; {@link resolveRouteCounted} does both.
   */
  readonly inputTokens?: number;
}

/** A request refused while its route was being decided; `route` is the rule that refused it. */
export class RouteRefused extends ClientRequestError {
  constructor(
    message: string,
    readonly route: string,
    errorType: "invalid_request_error" | "not_found_error" = "invalid_request_error",
  ) {
    super(message, errorType);
    this.name = "RouteRefused";
  }
}

// The long_context rule had to decide and the caller passed no count (a caller's mistake).
class CountNeeded extends Error {
  constructor() {
    super("long_context routing needs the request's input tokens: see needsExactCount");
    this.name = "CountNeeded";
  }
}

/**
 * Resolves a request to its failover chain; throws RouteRefused for an unusable override, and an
 * Error when the long_context rule needs `inputTokens` and none was given.
 */
export function resolveRoute(input: ResolutionInput, config: Config): Resolution {
  const model = withoutDiscoveryPrefix(input.request.model, config);
  const found = pick(input, model, config);
  return withClientModel({ ...found, route: routeName(found) }, model, config);
}

type Picked = Omit<Resolution, "route">;

function pick(input: ResolutionInput, model: string, config: Config): Picked {
  if (input.urlPrefix) return resolveOverride(input.urlPrefix, ":", "url_prefix", config);
  if (input.tokenSuffix) return resolveOverride(input.tokenSuffix, "/", "token_suffix", config);
  return resolveName(model, config) ?? resolveRouteName(input.request.model, model, config) ??
    resolveTag(input.request, config) ?? refuseStalePick(input.request.model, model, config) ??
    resolveScenario(input, config) ?? fallback(model, config);
}

/**
 * A `claude-ccp/<name>` whose name ccp no longer has: Claude Code keeps a `/model` pick in its
 * settings, so a route or alias removed since would otherwise send every request to the default
 * route, unnoticed. Refused as Anthropic refuses an unknown model, which Claude Code answers by
 * asking for another pick. `default` and the tier names keep their rules.
 */
function refuseStalePick(asked: string, model: string, config: Config): undefined {
  if (asked === model || model === "default" || TIER_NAMES.includes(model)) return undefined;
  const names = [...Object.keys(config.routes), ...Object.keys(config.aliases)].join(", ");
  throw new RouteRefused(
    `Model "${asked}" names "${model}", which is no route, alias or configured provider/model ` +
      `of ccp's now (routes and aliases: ${names}); it was picked from an earlier list: pick ` +
      "another with /model",
    "explicit",
    "not_found_error",
  );
}

/**
 * A route chosen by its exact name. `GET /v1/models` lists every route, and Claude Code's `/model`
 * picker sends the one chosen (as `claude-ccp/<route>`): a route the user added, or a scenario
 * route picked by hand, would otherwise fall to the default. Plain `default` and tier names keep
 * their own rules, which the order of the scenario routes depends on; picked from the list, they
 * are a choice like any other entry, so no scenario takes them (Claude Code asks every picked
 * name for high effort, which alone would hand each such pick to a `think` route).
 */
function resolveRouteName(asked: string, model: string, config: Config): Picked | undefined {
  if (asked === model && (model === "default" || TIER_NAMES.includes(model))) return undefined;
  const route = ownValue(config.routes, model);
  return route ? { chain: route, rule: "route", name: model, routeKey: model } : undefined;
}

/** A subagent tag: a route, an alias, `provider/model` or claude-code-router's `provider,model`. */
function resolveTag(request: RoutableRequest, config: Config): Picked | undefined {
  const tag = subagentTag(request);
  if (tag === undefined) return undefined;
  const route = ownValue(config.routes, tag);
  if (route) return { chain: route, rule: "subagent_tag", name: tag, routeKey: tag };
  const alias = ownValue(config.aliases, tag);
  if (alias) return { chain: alias, rule: "subagent_tag", name: tag };
  const slash = tag.indexOf("/");
  const provider = slash > 0 ? tag.slice(0, slash) : "";
  if (!provider || !Object.hasOwn(config.providers, provider) || slash === tag.length - 1) {
    const comma = commaTarget(tag, config.providers);
    if (comma) return { chain: [comma], rule: "subagent_tag" };
    throw new RouteRefused(
      `The subagent model tag names "${tag}", which is no route, alias or configured ` +
        `provider/model (routes: ${Object.keys(config.routes).join(", ")})`,
      "subagent_tag",
    );
  }
  return { chain: [{ provider, model: tag.slice(slash + 1) }], rule: "subagent_tag" };
}

/** The first configured scenario route the request matches. */
function resolveScenario(input: ResolutionInput, config: Config): Picked | undefined {
  for (const scenario of SCENARIOS) {
    const route = ownValue(config.routes, scenario);
    if (route && matchesScenario(scenario, input, config)) {
      return { chain: route, rule: "scenario", name: scenario, routeKey: scenario };
    }
  }
  return undefined;
}

function matchesScenario(scenario: Scenario, input: ResolutionInput, config: Config): boolean {
  const request = input.request;
  const routing = config.routing ?? buildRouting(undefined);
  switch (scenario) {
    case "subagent":
      return isSubagent(request);
    case "web_search":
      return hasWebSearch(request);
    case "image":
      return lastUserHasImage(request);
    case "long_context": {
      // The count decides; a bound of it only rules out requests too small to be over.
      const threshold = routing.longContextThreshold;
      if (input.inputTokens !== undefined) return input.inputTokens > threshold;
      if (!mayExceedTokens(request, threshold)) return false;
      throw new CountNeeded();
    }
    case "think":
      return wantsDeepThinking(request, routing.thinkBudgetTokens);
  }
}

/**
 * Whether resolving this request needs its token count: only when the long_context rule is
 * reached (a `long_context` route exists and no earlier rule decides) and the request is not too
 * small to be over the threshold. Found by resolving, so it cannot drift from the rules.
 */
export function needsExactCount(input: ResolutionInput, config: Config): boolean {
  if (!ownValue(config.routes, "long_context") || input.inputTokens !== undefined) return false;
  try {
    pick(input, withoutDiscoveryPrefix(input.request.model, config), config);
    return false;
  } catch (err) {
    // A refusal is thrown again by resolveRoute, with no count needed.
    return err instanceof CountNeeded;
  }
}

/**
 * {@link resolveRoute}, with the request's input tokens counted by `count` first when only a
 * count can decide the route. The count is the one count_tokens answers, cached by text, so a
 * session's history is not tokenised again on each turn.
 */
export async function resolveRouteCounted(
  input: ResolutionInput,
  config: Config,
  count: (request: RoutableRequest) => Promise<number>,
): Promise<Resolution> {
  // Resolved once without a count; the long_context rule says when it needs one.
  try {
    return resolveRoute(input, config);
  } catch (err) {
    if (!(err instanceof CountNeeded)) throw err;
  }
  return resolveRoute({ ...input, inputTokens: await count(input.request) }, config);
}

// The header names the rule for explicit choices and the route for configured ones.
function routeName(found: Picked): string {
  switch (found.rule) {
    case "alias":
      return `alias:${found.name}`;
    case "provider":
      return "explicit";
    case "route":
    case "tier":
    case "default":
    case "scenario":
      return found.name ?? found.rule;
    default:
      return found.rule;
  }
}

/**
 * Targets marked `clientModel` (`provider/*`) send the client's model name upstream. A name ccp
 * gave, a route or alias picked in Claude Code's `/model` list, is no model the upstream knows:
 * such targets are left out, and a chain left empty is refused with why.
 */
function withClientModel(resolution: Resolution, model: string, config: Config): Resolution {
  if (!resolution.chain.some((t) => t.clientModel)) return resolution;
  const ccpName = TIER_NAMES.includes(model) ||
    ownValue(config.routes, model) !== undefined || ownValue(config.aliases, model) !== undefined;
  const chain = resolution.chain.flatMap((t) => {
    if (!t.clientModel) return [t];
    if (ccpName) return [];
    const { clientModel: _, ...rest } = t;
    return [{ ...rest, model }];
  });
  if (chain.length === 0) {
    throw new RouteRefused(
      `"${model}" is ccp's name for a route, not a model, and route "${resolution.route}" sends ` +
        "the client's model name upstream (provider/*): pick a model by its own name (e.g. " +
        "claude-sonnet-4-5), or give the route a target that names one",
      resolution.route,
    );
  }
  return { ...resolution, chain };
}

/** An alias, or `provider/model` with a configured provider; undefined when neither matches. */
function resolveName(model: string, config: Config): Picked | undefined {
  const alias = ownValue(config.aliases, model);
  if (alias) return { chain: alias, rule: "alias", name: model };
  const slash = model.indexOf("/");
  if (slash > 0) {
    const provider = model.slice(0, slash);
    const upstream = model.slice(slash + 1);
    if (upstream && Object.hasOwn(config.providers, provider)) {
      return { chain: [{ provider, model: upstream }], rule: "provider" };
    }
    // A catalog name the config does not define is refused rather than sent anywhere (other
    // slashed names, such as "meta-llama/x", still go by tier or the default route).
    if (upstream && PRESET_IDS.includes(provider)) throw unconfigured(provider, model);
  }
  // claude-code-router's `/model provider,model`, which its users keep typing.
  const comma = commaTarget(model, config.providers);
  if (comma) return { chain: [comma], rule: "provider" };
  const named = commaProvider(model)?.toLowerCase();
  if (named && PRESET_IDS.includes(named)) throw unconfigured(named, model);
  return undefined;
}

function unconfigured(provider: string, model: string): RouteRefused {
  return new RouteRefused(
    `Provider "${provider}" in model "${model}" is not configured. ${howToConfigure(provider)}`,
    "explicit",
  );
}

/** How to make a provider exist, for refusals that name one that does not. */
function howToConfigure(provider: string): string {
  const preset = PRESET_IDS.includes(provider) ? provider : "<preset>";
  return `Add it under providers: in ccp's config (e.g. ${provider}: {preset: ${preset}}), ` +
    `or with no config file set its base-URL or key variable or name it in MODEL`;
}

/** The tier named in the model, else the default route. */
function fallback(model: string, config: Config): Picked {
  const lower = model.toLowerCase();
  for (const tier of TIER_NAMES) {
    const route = ownValue(config.routes, tier);
    if (route && lower.includes(tier)) {
      return { chain: route, rule: "tier", name: tier, routeKey: tier };
    }
  }
  const route = ownValue(config.routes, "default");
  if (!route) {
    throw new RouteRefused(
      `No route for model "${model}": the config has no "default" route and no alias or tier matches`,
      "default",
      "not_found_error",
    );
  }
  return { chain: route, rule: "default", name: "default", routeKey: "default" };
}

/** The URL prefix or token suffix: an explicit `<provider><sep><model>` override, or an alias/route name. */
function resolveOverride(
  text: string,
  separator: ":" | "/",
  rule: "url_prefix" | "token_suffix",
  config: Config,
): Picked {
  const where = rule === "url_prefix" ? "URL prefix" : "auth token suffix";
  const alias = ownValue(config.aliases, text);
  if (alias) return { chain: alias, rule, name: text };
  const route = ownValue(config.routes, text);
  if (route) return { chain: route, rule, name: text, routeKey: text };
  const cut = text.indexOf(separator);
  const provider = cut > 0 ? text.slice(0, cut) : "";
  const model = cut > 0 ? text.slice(cut + 1) : "";
  // As long as a request's own `model` may be: the name keys what ccp keeps per target.
  if (model.length > MAX_MODEL_CHARS) {
    throw new RouteRefused(
      `The ${where} names a model of ${model.length} characters: at most ${MAX_MODEL_CHARS}`,
      rule,
    );
  }
  if (!provider || !model) {
    // A path with no colon is likely a base URL copied from a proxy that serves under one.
    const advice = rule === "url_prefix" && !text.includes(":")
      ? `. Not meant as one? Set ANTHROPIC_BASE_URL to ccp's address without /${text}`
      : "";
    throw new RouteRefused(
      `Invalid ${where} "${text}": expected <provider>${separator}<model> or an alias${advice}`,
      rule,
    );
  }
  if (!Object.hasOwn(config.providers, provider)) {
    const known = Object.keys(config.providers).join(", ");
    throw new RouteRefused(
      `Unknown provider "${provider}" in ${where} "${text}" (configured: ${known}). ${
        howToConfigure(provider)
      }`,
      rule,
    );
  }
  return { chain: [{ provider, model }], rule };
}
