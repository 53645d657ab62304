/**
 * LiteLLM proxy config.yaml -> a ccp config, as data (the claude-code-router converter's Draft,
 * written by the same renderer). Pure: literal keys come back separately so they go to .env.
 * Each `model_list` name becomes an alias whose targets are its deployments (deployments.ts),
 * spread by their `weight` as LiteLLM's simple-shuffle spread them (fallbacks follow with
 * weight 0), and the first name is the default route.
 */

import type { Draft, DraftRoute, Fields } from "../ccr/convert.ts";
import { isEmptyValue, isObject, type Json, type State } from "../ccr/text.ts";
import { readDeployments } from "./deployments.ts";
import { INSTEAD, READ_KEYS } from "./tables.ts";
import { seconds, secretOf, wholeWeights } from "./values.ts";

/** Claude Code's model families, as ccp's tier routes name them. */
const TIERS = ["opus", "sonnet", "haiku", "fable"] as const;

/** A LiteLLM config that cannot be converted at all; the message is for the user. */
export class LiteLlmError extends Error {}

/** Converts a parsed LiteLLM config.yaml; throws LiteLlmError when there is nothing to convert. */
export function convertLiteLlm(config: unknown): Draft {
  if (!isObject(config)) throw new LiteLlmError("expected a YAML mapping at the top level");
  const list = config.model_list;
  if (!Array.isArray(list) || list.length === 0) {
    throw new LiteLlmError("no model_list: not a LiteLLM proxy config.yaml");
  }
  const state: State = { notCarried: [], secrets: [], envRefs: new Set(), ids: new Set() };
  const { providers, chains, passthrough, weights } = readDeployments(list, state);
  if (chains.size === 0 && passthrough.length === 0) {
    throw new LiteLlmError("no model_list entry could be converted");
  }
  // Each name's own deployments, before fallbacks add others' after them.
  const own = new Map([...chains].map(([k, v]) => [k, [...v]]));
  addFallbacks(config, chains, own, state);
  const server = serverFields(config, state);
  const providerDefaults = providerDefaultsOf(config);
  noteUnread(config, state);
  const aliases = spreadAliases(chains, own, weights);
  // A spread that moved one Claude Code session between providers would mix their thinking
  // signatures and tool ids, and lose each one's prompt cache: sessions keep their deployment.
  const routing: Fields = aliases.some((a) => a.weights) ? [["session_affinity", true]] : [];
  return {
    server,
    providers: providers.map(({ key: _, ...p }) => p),
    providerDefaults,
    routes: routesOf(aliases, passthrough),
    aliases,
    routing,
    secrets: state.secrets,
    envRefs: [...state.envRefs],
    notCarried: state.notCarried,
    peer: {
      name: "LiteLLM",
      command: "ccp init --from litellm",
      intro: [
        "# Each model_name is an alias: its deployments in order, then its fallbacks. Point",
        "# Claude Code at one with ANTHROPIC_MODEL (or ANTHROPIC_DEFAULT_SONNET_MODEL, \u2026) as before.",
      ],
      defaultsComment: "LiteLLM's num_retries and timeout (seconds for the whole request)",
    },
  };
}

/** A settings section of the config, or an empty one. */
function sectionOf(config: Json, section: string): Json {
  return isObject(config[section]) ? config[section] as Json : {};
}

/** fallbacks: [{name: [other, ...]}] in either settings section; each name's deployments follow. */
function addFallbacks(
  config: Json,
  chains: Map<string, string[]>,
  own: ReadonlyMap<string, readonly string[]>,
  state: State,
): void {
  for (const section of ["router_settings", "litellm_settings"]) {
    const fallbacks = sectionOf(config, section).fallbacks;
    if (!Array.isArray(fallbacks)) continue;
    for (const entry of fallbacks) {
      if (!isObject(entry)) continue;
      for (const [from, to] of Object.entries(entry)) {
        const chain = chains.get(from);
        const names = Array.isArray(to) ? to : [to];
        for (const other of names) {
          const targets = typeof other === "string" ? own.get(other) : undefined;
          if (!chain || !targets) {
            state.notCarried.push(
              `${section}.fallbacks ${from} \u2192 ${
                String(other)
              }: no such model_name; not carried over`,
            );
            continue;
          }
          for (const t of targets) if (!chain.includes(t)) chain.push(t);
        }
      }
    }
  }
}

/** general_settings.master_key becomes the token clients must send. */
function serverFields(config: Json, state: State): Fields {
  const server: Fields = [];
  const general = sectionOf(config, "general_settings");
  if (typeof general.master_key === "string" && general.master_key.trim() !== "") {
    server.push(["auth_token", secretOf(general.master_key, "CCP_AUTH_TOKEN", state)]);
  }
  return server;
}

/** num_retries and the whole request's timeout, for every provider. */
function providerDefaultsOf(config: Json): Fields {
  const providerDefaults: Fields = [];
  const router = sectionOf(config, "router_settings");
  const litellm = sectionOf(config, "litellm_settings");
  const retries = router.num_retries ?? litellm.num_retries;
  if (typeof retries === "number" && Number.isInteger(retries) && retries >= 0) {
    providerDefaults.push(["max_retries", retries]);
  }
  const total = seconds(router.timeout ?? litellm.request_timeout);
  if (total) providerDefaults.push(["timeouts", { total }]);
  return providerDefaults;
}

/** Names every key ccp does not read, and a routing strategy other than the weighted spread. */
function noteUnread(config: Json, state: State): void {
  for (const [key, value] of Object.entries(config)) {
    if (key === "model_list" || isEmptyValue(value)) continue;
    const read = READ_KEYS[key];
    if (read && isObject(value)) {
      for (const [inner, v] of Object.entries(value)) {
        if (read.has(inner) || isEmptyValue(v)) continue;
        const instead = INSTEAD[`${key}.${inner}`];
        state.notCarried.push(`${key}.${inner}: ${instead ?? "not used by ccp"}; not carried over`);
      }
    } else {
      state.notCarried.push(`${key}: ${INSTEAD[key] ?? "not used by ccp"}; not carried over`);
    }
  }
  const strategy = sectionOf(config, "router_settings").routing_strategy;
  if (strategy !== undefined && strategy !== "simple-shuffle") {
    state.notCarried.push(
      `router_settings.routing_strategy: ${JSON.stringify(strategy)}: ccp spreads a model's ` +
        "deployments by their weight (as simple-shuffle does), not by load or latency",
    );
  }
}

/**
 * Each model name as an alias. LiteLLM spread each name's requests over its deployments
 * (fallbacks only take failures): weight 0 keeps a fallback out of the spread.
 */
function spreadAliases(
  chains: ReadonlyMap<string, string[]>,
  own: ReadonlyMap<string, readonly string[]>,
  weights: ReadonlyMap<string, number>,
): DraftRoute[] {
  return [...chains].map(([name, targets]) => {
    const deployments = own.get(name)?.length ?? 0;
    if (deployments < 2) return { name, targets };
    const spread = wholeWeights(
      targets.slice(0, deployments).map((t) => weights.get(`${name}\n${t}`) ?? 1),
    );
    return { name, targets, weights: targets.map((_, i) => spread[i] ?? 0) };
  });
}

/** The default route (the wildcard entries, else the first name) and a route per tier named. */
function routesOf(aliases: readonly DraftRoute[], passthrough: string[]): DraftRoute[] {
  const first = aliases[0];
  const routes: DraftRoute[] = [
    passthrough.length > 0 || first === undefined
      ? {
        name: "default",
        targets: passthrough,
        comment: "LiteLLM's wildcard entries: any other model name goes to the provider as the " +
          "client sent it",
      }
      : {
        name: "default",
        targets: first.targets,
        ...(first.weights ? { weights: first.weights } : {}),
        comment: `LiteLLM refused a model its model_list did not name; ccp sends any other ` +
          `name (Claude Code's own model names included) where ${first.name} goes`,
      },
  ];
  // Claude Code's model names change with its versions: a tier's route takes the next ones.
  for (const tier of TIERS) {
    const named = aliases.find((a) => a.name.toLowerCase().includes(tier));
    if (named) {
      routes.push({
        name: tier,
        targets: named.targets,
        ...(named.weights ? { weights: named.weights } : {}),
        comment: `other ${tier} names (a newer Claude Code's) go where ${named.name} goes`,
      });
    }
  }
  return routes;
}
