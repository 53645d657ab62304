/**
 * LiteLLM's `model_list` -> ccp providers and targets. Deployments alike but for the model share
 * one provider; each deployment's settings become that provider's model_settings, and each
 * model name collects its deployments' targets in order, with their weights.
 */

import { findPreset, type Preset } from "../../providers/catalog.ts";
import type { DraftProvider, Fields } from "../ccr/convert.ts";
import {
  isEmptyValue,
  isObject,
  type Json,
  literalData,
  literalText,
  type State,
} from "../ccr/text.ts";
import { BARE_MODELS, BODY_PARAMS, PREFIX_PRESETS, READ_PARAMS } from "./tables.ts";
import { litellmText, secretOf, weightOf } from "./values.ts";

/** A provider being built, with the key that tells whether a deployment can share it. */
export type KeyedProvider = DraftProvider & { key: string };

/** What `model_list` becomes. */
export interface Deployments {
  readonly providers: KeyedProvider[];
  /** Each model name's targets, in `model_list` order. */
  readonly chains: Map<string, string[]>;
  /** Targets of wildcard entries (`provider/*`): any name goes there as the client sent it. */
  readonly passthrough: string[];
  /** Each deployment's `weight` by model name and target: its share of the name's requests. */
  readonly weights: Map<string, number>;
}

/** Where a deployment goes: a preset, its model there, and a base URL not the preset's own. */
interface Place {
  readonly preset: string;
  readonly upstream: string;
  readonly baseUrl?: string;
}

/** Reads every `model_list` entry; entries that cannot move are named in `state.notCarried`. */
export function readDeployments(list: readonly unknown[], state: State): Deployments {
  const found: Deployments = {
    providers: [],
    chains: new Map(),
    passthrough: [],
    weights: new Map(),
  };
  for (const [i, raw] of list.entries()) readDeployment(raw, i, found, state);
  return found;
}

function readDeployment(raw: unknown, i: number, found: Deployments, state: State): void {
  const name = isObject(raw) && typeof raw.model_name === "string" ? raw.model_name.trim() : "";
  const params = isObject(raw) && isObject(raw.litellm_params) ? raw.litellm_params : {};
  const model = typeof params.model === "string" ? params.model.trim() : "";
  const where = `model_list[${i}]${name ? ` (${name})` : ""}`;
  if (name === "" || model === "") {
    state.notCarried.push(`${where}: no model_name or litellm_params.model; not carried over`);
    return;
  }
  // `"*"` or `"claude-*"` on `anthropic/*`: any such name goes to the provider as it is, which
  // ccp's `provider/*` target does; other wildcards have no ccp form.
  const wildcard = name.includes("*");
  if (wildcard && !(/^[^*]*\*$/.test(name) && /^[^*/]+\/\*$/.test(model))) {
    state.notCarried.push(
      `${where}: a wildcard model_name; in ccp, provider/model names reach any model of a ` +
        "configured provider, and a provider/* target passes any name through; not carried over",
    );
    return;
  }
  const apiBase = typeof params.api_base === "string"
    ? params.api_base
    : typeof params.base_url === "string"
    ? params.base_url
    : undefined;
  const place = placeOf(model, apiBase?.trim() || undefined);
  if ("error" in place) {
    state.notCarried.push(`${where} ${model}: ${place.error}; not carried over`);
    return;
  }
  const provider = providerFor(found.providers, place, model, params, state);
  carryParams(provider, place.upstream, params, where, state);
  const target = `${provider.id}/${literalText(place.upstream)}`;
  if (wildcard) {
    if (!found.passthrough.includes(target)) found.passthrough.push(target);
    return;
  }
  const chain = found.chains.get(name) ?? [];
  if (!chain.includes(target)) {
    chain.push(target);
    found.weights.set(`${name}\n${target}`, weightOf(params.weight));
  }
  found.chains.set(name, chain);
}

/** Where a deployment goes: a preset, and the base URL when it is not the preset's own. */
function placeOf(model: string, apiBase: string | undefined): Place | { error: string } {
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

/** The provider a deployment shares with those alike (preset, base URL, key), made when new. */
function providerFor(
  providers: KeyedProvider[],
  place: Place,
  model: string,
  params: Json,
  state: State,
): KeyedProvider {
  const preset = findPreset(place.preset)!;
  // Without api_key LiteLLM read the provider's usual variable, which is the preset's too.
  const given = typeof params.api_key === "string" ? params.api_key.trim() : "";
  const rawKey = given !== "" || !preset.keyEnv || preset.local
    ? given
    : `os.environ/${preset.keyEnv}`;
  const key = JSON.stringify([place.preset, place.baseUrl ?? "", rawKey]);
  const known = providers.find((p) => p.key === key);
  if (known) return known;
  // LiteLLM's openai/ with another api_base is its way to reach any OpenAI-compatible
  // server: ccp's generic Chat Completions, not OpenAI's own dialect, fits it (and its key
  // must not be read from OPENAI_API_KEY, which may hold a real OpenAI key).
  const compatible = place.baseUrl !== undefined && place.preset === "openai";
  const base = compatible ? "openai_compatible" : place.preset;
  let id = base;
  for (let n = 2; providers.some((p) => p.id === id); n++) id = `${base}_${n}`;
  const fields: Fields = [compatible ? ["type", "openai"] : ["preset", place.preset]];
  if (place.baseUrl) fields.push(["base_url", litellmText(place.baseUrl, state)]);
  const stem = id === place.preset && !place.baseUrl && preset.keyEnv
    ? preset.keyEnv
    : `${id.toUpperCase()}_API_KEY`;
  if (rawKey !== "") fields.push(["api_key", secretOf(rawKey, stem, state)]);
  // LiteLLM relayed these to Anthropic (or its api_base in front of it), which runs its own
  // web search and fetch: said outright, so it stays true if the preset line is changed.
  if (place.preset === "anthropic") fields.push(["server_tools", true]);
  const comments = providerComments(place, preset, model, compatible);
  const provider = { id, key, comments, fields, modelSettings: {} };
  providers.push(provider);
  return provider;
}

/** The comment lines above a provider: where its LiteLLM prefix went. */
function providerComments(
  place: Place,
  preset: Preset,
  model: string,
  compatible: boolean,
): string[] {
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
  return comments;
}

/**
 * A deployment's parameters onto its provider: model settings for its model, then headers and
 * a rate limit (the first deployment's, as the provider is one); the rest are named.
 */
function carryParams(
  provider: KeyedProvider,
  upstream: string,
  params: Json,
  where: string,
  state: State,
): void {
  const fields = provider.fields;
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
    provider.modelSettings[upstream] = literalData(
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
}

/** Per-deployment keys ccp has no place for, named once per model name. */
function leftParams(params: Json): string[] {
  return Object.entries(params)
    .filter(([k, v]) => !READ_PARAMS.has(k) && !isEmptyValue(v))
    .map(([k]) => k);
}
