/**
 * LiteLLM proxy config.yaml -> a ccp config, as data (the claude-code-router converter's Draft,
 * written by the same renderer). Pure: literal keys come back separately so they go to .env.
 * Each `model_list` name becomes an alias whose targets are its deployments, spread by their
 * `weight` as LiteLLM's simple-shuffle spread them (fallbacks follow with weight 0), and the first
 * name is the default route.
 */

import { findPreset } from "../../providers/catalog.ts";
import type { Draft, DraftProvider, DraftRoute, Fields } from "../ccr/convert.ts";
import {
  isEmptyValue,
  isObject,
  type Json,
  literalData,
  literalSecret,
  literalText,
  type State,
} from "../ccr/text.ts";
import {
  BARE_MODELS,
  BODY_PARAMS,
  INSTEAD,
  PREFIX_PRESETS,
  READ_KEYS,
  READ_PARAMS,
} from "./tables.ts";

/** Claude Code's model families, as ccp's tier routes name them. */
const TIERS = ["opus", "sonnet", "haiku", "fable"] as const;

/** A LiteLLM config that cannot be converted at all; the message is for the user. */
export class LiteLlmError extends Error {}

// LiteLLM reads a value from the environment only when the whole value is `os.environ/NAME`.
const OS_ENVIRON = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/;

/** `os.environ/NAME` -> `${NAME}`; anything else is a literal, moved to the .env. */
function secretOf(value: string, stem: string, state: State): string {
  const env = OS_ENVIRON.exec(value.trim());
  if (!env) return literalSecret(value.trim(), stem, state);
  state.envRefs.add(env[1]!);
  return `\${${env[1]}}`;
}

/** A value as LiteLLM reads it: `os.environ/NAME` -> `${NAME}`, any other text as written. */
function litellmText(value: string, state: State): string {
  const env = OS_ENVIRON.exec(value.trim());
  if (!env) return literalText(value);
  state.envRefs.add(env[1]!);
  return `\${${env[1]}}`;
}

/** A number LiteLLM took as seconds, as a ccp duration. */
function seconds(value: unknown): string | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? `${n}s` : undefined;
}

/** Where a deployment goes: a preset, and the base URL when it is not the preset's own. */
function placeOf(model: string, apiBase: string | undefined):
  | { preset: string; upstream: string; baseUrl?: string }
  | { error: string } {
  const slash = model.indexOf("/");
  const prefix = slash > 0 ? model.slice(0, slash) : "";
  let preset = PREFIX_PRESETS[prefix.replaceAll("-", "_")];
  let upstream = model.slice(slash + 1);
  if (preset === undefined) {
    const bare = BARE_MODELS.find((b) => b.pattern.test(model));
    if (!bare || (slash > 0 && prefix !== "")) {
      return {
        error: slash > 0
          ? `LiteLLM provider "${prefix}": ccp has no such provider`
          : "no provider prefix: write it as provider/model (e.g. openai/gpt-4o)",
      };
    }
    preset = bare.preset;
    upstream = model;
  }
  if (upstream === "" || (upstream.includes("*") && upstream !== "*")) {
    return { error: "a wildcard model: ccp's provider/model names reach any model of a provider" };
  }
  const own = findPreset(preset);
  if (apiBase === undefined || own === undefined) return { preset, upstream };
  const base = apiBase.replace(/\/+$/, "");
  let sameHost = false;
  try {
    sameHost = new URL(base).host === new URL(own.baseUrl).host;
  } catch {
    // An unreadable URL is written as given; ccp check names it.
  }
  return sameHost ? { preset, upstream } : { preset, upstream, baseUrl: base };
}

/** A deployment's `weight`: a number above 0, else 1 (LiteLLM's default). */
function weightOf(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 1;
}

/**
 * Weights as ccp writes them, whole numbers up to 1000 in the same ratio: LiteLLM also takes
 * fractions (`0.9`, `0.1`).
 */
function wholeWeights(weights: readonly number[]): number[] {
  const max = Math.max(...weights);
  if (weights.every((w) => Number.isInteger(w)) && max <= 1000) return [...weights];
  return weights.map((w) => Math.max(1, Math.round((w * 1000) / max)));
}

/** Per-deployment keys ccp has no place for, named once per model name. */
function leftParams(params: Json): string[] {
  return Object.entries(params)
    .filter(([k, v]) => !READ_PARAMS.has(k) && !isEmptyValue(v))
    .map(([k]) => k);
}

/** Converts a parsed LiteLLM config.yaml; throws LiteLlmError when there is nothing to convert. */
export function convertLiteLlm(config: unknown): Draft {
  if (!isObject(config)) throw new LiteLlmError("expected a YAML mapping at the top level");
  const list = config.model_list;
  if (!Array.isArray(list) || list.length === 0) {
    throw new LiteLlmError("no model_list: not a LiteLLM proxy config.yaml");
  }
  const state: State = { notCarried: [], secrets: [], envRefs: new Set(), ids: new Set() };
  const providers: Array<DraftProvider & { key: string }> = [];
  const chains = new Map<string, string[]>();
  const passthrough: string[] = [];
  // Each deployment's `weight` by model name and target: its share of the name's requests.
  const weights = new Map<string, number>();

  for (const [i, raw] of list.entries()) {
    const name = isObject(raw) && typeof raw.model_name === "string" ? raw.model_name.trim() : "";
    const params = isObject(raw) && isObject(raw.litellm_params) ? raw.litellm_params : {};
    const model = typeof params.model === "string" ? params.model.trim() : "";
    const where = `model_list[${i}]${name ? ` (${name})` : ""}`;
    if (name === "" || model === "") {
      state.notCarried.push(`${where}: no model_name or litellm_params.model; not carried over`);
      continue;
    }
    // `"*"` or `"claude-*"` on `anthropic/*`: any such name goes to the provider as it is, which
    // ccp's `provider/*` target does; other wildcards have no ccp form.
    const wildcard = name.includes("*");
    if (wildcard && !(/^[^*]*\*$/.test(name) && /^[^*/]+\/\*$/.test(model))) {
      state.notCarried.push(
        `${where}: a wildcard model_name; in ccp, provider/model names reach any model of a ` +
          "configured provider, and a provider/* target passes any name through; not carried over",
      );
      continue;
    }
    const apiBase = typeof params.api_base === "string"
      ? params.api_base
      : typeof params.base_url === "string"
      ? params.base_url
      : undefined;
    const place = placeOf(model, apiBase?.trim() || undefined);
    if ("error" in place) {
      state.notCarried.push(`${where} ${model}: ${place.error}; not carried over`);
      continue;
    }
    const preset = findPreset(place.preset)!;
    // Without api_key LiteLLM read the provider's usual variable, which is the preset's too.
    const given = typeof params.api_key === "string" ? params.api_key.trim() : "";
    const rawKey = given !== "" || !preset.keyEnv || preset.local
      ? given
      : `os.environ/${preset.keyEnv}`;
    const key = JSON.stringify([place.preset, place.baseUrl ?? "", rawKey]);
    let provider = providers.find((p) => p.key === key);
    if (!provider) {
      // LiteLLM's openai/ with another api_base is its way to reach any OpenAI-compatible
      // server: ccp's generic Chat Completions, not OpenAI's own dialect, fits it (and its key
      // must not be read from OPENAI_API_KEY, which may hold a real OpenAI key).
      const compatible = place.baseUrl !== undefined && place.preset === "openai";
      const base = compatible ? "openai_compatible" : place.preset;
      let id = base;
      for (let n = 2; providers.some((p) => p.id === id); n++) id = `${base}_${n}`;
      const fields: Array<readonly [string, unknown]> = [
        compatible ? ["type", "openai"] : ["preset", place.preset],
      ];
      if (place.baseUrl) fields.push(["base_url", litellmText(place.baseUrl, state)]);
      const stem = id === place.preset && !place.baseUrl && preset.keyEnv
        ? preset.keyEnv
        : `${id.toUpperCase()}_API_KEY`;
      if (rawKey !== "") fields.push(["api_key", secretOf(rawKey, stem, state)]);
      // LiteLLM relayed these to Anthropic (or its api_base in front of it), which runs its own
      // web search and fetch: said outright, so it stays true if the preset line is changed.
      if (place.preset === "anthropic") fields.push(["server_tools", true]);
      const written = model.includes("/") ? model.slice(0, model.indexOf("/")) : model;
      const comments = [
        compatible
          ? `LiteLLM ${written} with api_base \u2192 an OpenAI-compatible server`
          : `LiteLLM ${written} \u2192 preset ${place.preset} (${preset.type} API)`,
      ];
      if (preset.local && preset.type === "anthropic") {
        comments.push(
          "ccp speaks the server's Anthropic API (Ollama 0.14+, LM Studio, vLLM); " +
            "for an older server write type: openai and its /v1 address instead of the preset",
        );
      }
      provider = { id, key, comments, fields, modelSettings: {} };
      providers.push(provider);
    }
    const fields = provider.fields as Array<readonly [string, unknown]>;
    const settings: Record<string, unknown> = {};
    const maxTokens = params.max_tokens;
    if (typeof maxTokens === "number" && maxTokens > 0) settings.max_output_tokens = maxTokens;
    if (typeof params.reasoning_effort === "string") {
      settings.reasoning_effort = params.reasoning_effort;
    }
    const body = Object.fromEntries(
      BODY_PARAMS.filter((k) => params[k] !== undefined).map((k) => [k, params[k]]),
    );
    if (Object.keys(body).length > 0) settings.extra_body = body;
    if (Object.keys(settings).length > 0) {
      provider.modelSettings[place.upstream] = literalData(
        settings,
        (text) => litellmText(text, state),
      ) as Record<string, unknown>;
    }
    const headers = isObject(params.extra_headers)
      ? params.extra_headers
      : isObject(params.headers)
      ? params.headers
      : undefined;
    if (headers && !fields.some(([k]) => k === "headers")) {
      fields.push(["headers", literalData(headers, (text) => litellmText(text, state))]);
    }
    const rpm = typeof params.rpm === "number" ? params.rpm : Number(params.rpm);
    if (Number.isInteger(rpm) && rpm > 0 && !fields.some(([k]) => k === "rate_limit")) {
      fields.push(["rate_limit", { requests: rpm, window: "60s" }]);
    }
    const left = leftParams(params);
    if (left.length > 0) {
      state.notCarried.push(
        `${where}: litellm_params ${left.join(", ")}: not used by ccp; not carried over`,
      );
    }
    const target = `${provider.id}/${literalText(place.upstream)}`;
    if (wildcard) {
      if (!passthrough.includes(target)) passthrough.push(target);
      continue;
    }
    const chain = chains.get(name) ?? [];
    if (!chain.includes(target)) {
      chain.push(target);
      weights.set(`${name}\n${target}`, weightOf(params.weight));
    }
    chains.set(name, chain);
  }
  if (chains.size === 0 && passthrough.length === 0) {
    throw new LiteLlmError("no model_list entry could be converted");
  }

  // fallbacks: [{name: [other, ...]}] in either settings section; each name's deployments follow.
  const own = new Map([...chains].map(([k, v]) => [k, [...v]]));
  for (const section of ["router_settings", "litellm_settings"]) {
    const fallbacks = isObject(config[section]) ? (config[section] as Json).fallbacks : undefined;
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

  const server: Array<readonly [string, unknown]> = [];
  const general = isObject(config.general_settings) ? config.general_settings : {};
  if (typeof general.master_key === "string" && general.master_key.trim() !== "") {
    server.push(["auth_token", secretOf(general.master_key, "CCP_AUTH_TOKEN", state)]);
  }
  const providerDefaults: Array<readonly [string, unknown]> = [];
  const settingsOf = (section: string): Json =>
    isObject(config[section]) ? config[section] as Json : {};
  const retries = settingsOf("router_settings").num_retries ??
    settingsOf("litellm_settings").num_retries;
  if (typeof retries === "number" && Number.isInteger(retries) && retries >= 0) {
    providerDefaults.push(["max_retries", retries]);
  }
  const total = seconds(
    settingsOf("router_settings").timeout ?? settingsOf("litellm_settings").request_timeout,
  );
  if (total) providerDefaults.push(["timeouts", { total }]);

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

  const strategy = settingsOf("router_settings").routing_strategy;
  if (strategy !== undefined && strategy !== "simple-shuffle") {
    state.notCarried.push(
      `router_settings.routing_strategy: ${JSON.stringify(strategy)}: ccp spreads a model's ` +
        "deployments by their weight (as simple-shuffle does), not by load or latency",
    );
  }
  // LiteLLM spread each name's requests over its deployments (fallbacks only take failures):
  // weight 0 keeps a fallback out of the spread.
  const aliases: DraftRoute[] = [...chains].map(([name, targets]) => {
    const deployments = own.get(name)?.length ?? 0;
    if (deployments < 2) return { name, targets };
    const spread = wholeWeights(
      targets.slice(0, deployments).map((t) => weights.get(`${name}\n${t}`) ?? 1),
    );
    return { name, targets, weights: targets.map((_, i) => spread[i] ?? 0) };
  });
  // A spread that moved one Claude Code session between providers would mix their thinking
  // signatures and tool ids, and lose each one's prompt cache: sessions keep their deployment.
  const routing: Fields = aliases.some((a) => a.weights) ? [["session_affinity", true]] : [];
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
  return {
    server: server as Fields,
    providers: providers.map(({ key: _, ...p }) => p),
    providerDefaults: providerDefaults as Fields,
    routes,
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
