/**
 * CLIProxyAPI config.yaml -> a ccp config, as data (the claude-code-router converter's Draft,
 * written by the same renderer). Pure: literal keys come back separately so they go to .env.
 * Its API-key credentials become providers (entries alike but for the key share one, as a key
 * list); every model name and alias they list becomes an alias, spread over the providers that
 * list it as its routing strategy spread it (routing.ts); its OAuth accounts cannot move.
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
import { type Balance, balanceOf } from "./routing.ts";

/** A CLIProxyAPI config that cannot be converted at all; the message is for the user. */
export class CliProxyApiError extends Error {}

/** Its credential lists and the preset each one's API is. */
const KEY_LISTS: Readonly<Record<string, string>> = {
  "claude-api-key": "anthropic",
  "gemini-api-key": "gemini",
  "codex-api-key": "openai_responses",
  "xai-api-key": "xai",
};

/** Top-level keys read here. */
const READ = new Set([
  ...Object.keys(KEY_LISTS),
  "openai-compatibility",
  "host",
  "port",
  "api-keys",
  "proxy-url",
  "request-retry",
  "max-retry-interval",
  "routing",
]);

/** Keys ccp does otherwise: what it does instead. */
const INSTEAD: Readonly<Record<string, string>> = {
  "auth-dir": "its OAuth accounts cannot move: ccp passes only Claude Code's own login through " +
    "(a provider with auth: passthrough)",
  "remote-management":
    "ccp's /ui is a read-only status page; edit config.yaml (ccp reloads it when saved)",
  "payload": "model_settings.extra_body (null removes a field) and transforms.set",
  "disable-cooling": "ccp cools a key down by the upstream's Retry-After, capped at 30 min",
  "usage-statistics-enabled": "ccp's usage ledger (ccp usage) and /metrics",
  "logging-to-file": "--log-file",
  "debug": "--log-level debug",
};

/** A proxy URL as ccp takes it, or undefined for none (`direct`, `none`, empty). */
function proxyOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim();
  return v === "" || v === "direct" || v === "none" ? undefined : literalText(v);
}

/** An entry's own proxy: its URL, none for `direct`/`none`, else the global one. */
function entryProxy(value: unknown, global: string | undefined): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return global;
  return proxyOf(value);
}

interface Entry {
  readonly preset?: string;
  readonly type?: string;
  readonly id: string;
  readonly baseUrl?: string;
  readonly proxy?: string;
  readonly headers?: Json;
  readonly keys: string[];
  /** Each credential's weight (1 unless it says); the provider's share is their sum. */
  readonly weights: number[];
  readonly models: Array<{ name: string; alias?: string }>;
  readonly label: string;
}

/** A credential's `weight`: a whole number above 0, else 1 (its default). */
function weightOf(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 1;
}

function modelsOf(value: unknown): Array<{ name: string; alias?: string }> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((m) => {
    if (typeof m === "string" && m.trim() !== "") return [{ name: m.trim() }];
    if (!isObject(m) || typeof m.name !== "string" || m.name.trim() === "") return [];
    const alias = typeof m.alias === "string" && m.alias.trim() !== "" ? m.alias.trim() : undefined;
    return [{ name: m.name.trim(), ...(alias ? { alias } : {}) }];
  });
}

/** The credential entries, one per provider to write (entries alike but for the key joined). */
function collect(config: Json, globalProxy: string | undefined, state: State): Entry[] {
  const entries: Entry[] = [];
  const join = (e: Entry, key: string, weight = 1) => joinEntry(entries, e, key, weight);
  for (const [list, preset] of Object.entries(KEY_LISTS)) {
    const items = config[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (!isObject(item)) return;
      for (const k of ["excluded-models", "prefix", "cloak"]) {
        if (!isEmptyValue(item[k]) && item[k] !== undefined) {
          state.notCarried.push(`${list}[${i}].${k}: not used by ccp; not carried over`);
        }
      }
      join(
        keyListEntry(item, list, preset, globalProxy),
        typeof item["api-key"] === "string" ? item["api-key"].trim() : "",
        weightOf(item.weight),
      );
    });
  }
  const compat = config["openai-compatibility"];
  if (Array.isArray(compat)) {
    compat.forEach((item, i) => {
      const entry = isObject(item) ? compatEntry(item, globalProxy) : undefined;
      if (!isObject(item) || entry === undefined) {
        state.notCarried.push(`openai-compatibility[${i}]: no name or base-url; not carried over`);
        return;
      }
      const keyEntries = Array.isArray(item["api-key-entries"]) ? item["api-key-entries"] : [];
      if (keyEntries.length === 0) join(entry, "", weightOf(item.weight));
      for (const k of keyEntries) {
        const key = isObject(k) && typeof k["api-key"] === "string" ? k["api-key"].trim() : "";
        join(entry, key, weightOf(isObject(k) ? k.weight ?? item.weight : item.weight));
      }
    });
  }
  return entries;
}

/**
 * Adds `key` (none when blank) to the entry in `entries` alike to `e` but for its keys, or adds
 * `e` with it, under an id no other entry has.
 */
function joinEntry(entries: Entry[], e: Entry, key: string, weight: number): void {
  const same = entries.find((o) =>
    o.preset === e.preset && o.type === e.type && o.baseUrl === e.baseUrl &&
    o.proxy === e.proxy && JSON.stringify(o.headers) === JSON.stringify(e.headers) &&
    JSON.stringify(o.models) === JSON.stringify(e.models) && o.label === e.label
  );
  if (same) {
    if (key !== "" && !same.keys.includes(key)) {
      same.keys.push(key);
      same.weights.push(weight);
    }
    return;
  }
  let id = e.id;
  for (let n = 2; entries.some((o) => o.id === id); n++) id = `${e.id}_${n}`;
  entries.push({ ...e, id, keys: key === "" ? [] : [key], weights: [weight] });
}

/** The entry (without its key) of one item of a provider's key list, such as `claude-api-key`. */
function keyListEntry(
  item: Json,
  list: string,
  preset: string,
  globalProxy: string | undefined,
): Entry {
  const base = typeof item["base-url"] === "string" && item["base-url"].trim() !== ""
    ? item["base-url"].trim().replace(/\/+$/, "")
    : undefined;
  const own = findPreset(preset)!;
  let foreign = false;
  try {
    foreign = base !== undefined && new URL(base).host !== new URL(own.baseUrl).host;
  } catch {
    foreign = base !== undefined;
  }
  return {
    preset,
    id: preset,
    ...(foreign ? { baseUrl: literalText(base!) } : {}),
    proxy: entryProxy(item["proxy-url"], globalProxy),
    ...(isObject(item.headers) ? { headers: literalData(item.headers) as Json } : {}),
    keys: [],
    weights: [],
    models: modelsOf(item.models),
    label: list,
  };
}

/** The entry (without keys) of one `openai-compatibility` item; none without a name or base-url. */
function compatEntry(item: Json, globalProxy: string | undefined): Entry | undefined {
  const name = typeof item.name === "string" ? item.name.trim() : "";
  const base = typeof item["base-url"] === "string"
    ? item["base-url"].trim().replace(/\/+$/, "")
    : "";
  if (name === "" || base === "") return undefined;
  const keyEntries = Array.isArray(item["api-key-entries"]) ? item["api-key-entries"] : [];
  const first = keyEntries.find(isObject);
  return {
    type: "openai",
    id: name.replace(/[^A-Za-z0-9_.-]/g, "_"),
    baseUrl: literalText(base),
    proxy: entryProxy(first?.["proxy-url"], globalProxy),
    ...(isObject(item.headers) ? { headers: literalData(item.headers) as Json } : {}),
    keys: [],
    weights: [],
    models: modelsOf(item.models),
    label: `openai-compatibility ${name}`,
  };
}

/** Converts a parsed CLIProxyAPI config.yaml; throws CliProxyApiError when nothing can move. */
export function convertCliProxyApi(config: unknown): Draft {
  if (!isObject(config)) throw new CliProxyApiError("expected a YAML mapping at the top level");
  const state: State = { notCarried: [], secrets: [], envRefs: new Set(), ids: new Set() };
  const entries = collect(config, proxyOf(config["proxy-url"]), state);
  if (entries.length === 0) {
    throw new CliProxyApiError(
      "no API-key credentials (claude-api-key, gemini-api-key, codex-api-key, xai-api-key, " +
        "openai-compatibility): its OAuth accounts cannot be carried over",
    );
  }
  const routing = balanceOf(config.routing, state);
  const providers: DraftProvider[] = [];
  // What share of a model's requests each provider took: its credentials' weights, or their count.
  const shares = new Map<string, number>();
  const aliases = new Map<string, string[]>();
  const add = (name: string, target: string) => {
    const chain = aliases.get(name) ?? [];
    if (!chain.includes(target)) chain.push(target);
    aliases.set(name, chain);
  };
  for (const e of entries) {
    providers.push(providerOf(e, routing, state));
    for (const m of e.models) {
      const target = `${e.id}/${literalText(m.name)}`;
      shares.set(
        target,
        routing.weighted ? e.weights.reduce((a, b) => a + b, 0) : e.weights.length,
      );
      add(m.name, target);
      if (m.alias) add(m.alias, target);
    }
  }
  const server = serverFields(config, state);
  const providerDefaults = providerDefaultsOf(config);
  for (const [key, value] of Object.entries(config)) {
    if (READ.has(key) || isEmptyValue(value)) continue;
    state.notCarried.push(`${key}: ${INSTEAD[key] ?? "not used by ccp"}; not carried over`);
  }
  return {
    server,
    providers,
    providerDefaults,
    routes: defaultRoutes(providers, aliases),
    // A model several credentials served was spread over them: so is its alias.
    aliases: [...aliases].map(([name, targets]) =>
      routing.spread && targets.length > 1
        ? { name, targets, weights: targets.map((t) => shares.get(t) ?? 1) }
        : { name, targets }
    ),
    routing: routing.fields,
    secrets: state.secrets,
    envRefs: [...state.envRefs],
    notCarried: state.notCarried,
    peer: {
      name: "CLIProxyAPI",
      command: "ccp init --from cliproxyapi",
      intro: [
        "# Each model name and alias the credentials listed is an alias here; a Claude key passes",
        "# Claude Code's own model names through.",
      ],
      defaultsComment: "CLIProxyAPI's request-retry and max-retry-interval",
    },
  };
}

/** One credential entry as a ccp provider: its preset or type, address, keys, proxy and models. */
function providerOf(e: Entry, routing: Balance, state: State): DraftProvider {
  const fields: Fields = e.preset ? [["preset", e.preset]] : [["type", e.type]];
  if (e.baseUrl) fields.push(["base_url", e.baseUrl]);
  const stem = `${e.id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_API_KEY`;
  const keys = e.keys.map((k, i) =>
    literalSecret(k, e.keys.length > 1 ? `${stem}_${i + 1}` : stem, state)
  );
  if (keys.length === 1) fields.push(["api_key", keys[0]]);
  else if (keys.length > 1) {
    fields.push(["api_keys", keys]);
    // Its default spread requests over the keys in turn; so does ccp's round_robin.
    if (routing.spread) fields.push(["key_strategy", "round_robin"]);
    if (routing.weighted && new Set(e.weights).size > 1) {
      state.notCarried.push(
        `${e.label}: weights of keys on one provider: ccp's round_robin gives each of its ` +
          "keys an equal turn; not carried over",
      );
    }
  }
  if (e.proxy) fields.push(["proxy", e.proxy]);
  if (e.headers) fields.push(["headers", e.headers]);
  if (e.models.length > 0) fields.push(["models", e.models.map((m) => literalText(m.name))]);
  return { id: e.id, comments: [`CLIProxyAPI ${e.label}`], fields, modelSettings: {} };
}

/** Its `api-keys` (clients' keys) as ccp's token, with the host and port it listened on. */
function serverFields(config: Json, state: State): Fields {
  const server: Fields = [];
  const clientKeys = Array.isArray(config["api-keys"])
    ? config["api-keys"].filter((k): k is string => typeof k === "string" && k.trim() !== "")
    : [];
  const host = typeof config.host === "string" ? config.host.trim() : "";
  if (host !== "" && clientKeys.length > 0) server.push(["host", literalText(host)]);
  else if (clientKeys.length > 0) {
    state.notCarried.push(
      "host: CLIProxyAPI listened on every address; ccp listens on 127.0.0.1 unless server.host " +
        "says otherwise",
    );
  }
  if (typeof config.port === "number") server.push(["port", config.port]);
  if (clientKeys.length > 0) {
    server.push(["auth_token", literalSecret(clientKeys[0]!, "CCP_AUTH_TOKEN", state)]);
    if (clientKeys.length > 1) {
      state.notCarried.push(
        `api-keys: ${clientKeys.length - 1} more client key(s); ccp takes one token, or clients: ` +
          "with a token each (README: Several instances); not carried over",
      );
    }
  }
  return server;
}

/** Its retries, and the longest wait between them (seconds) as ccp's backoff ceiling. */
function providerDefaultsOf(config: Json): Fields {
  const providerDefaults: Fields = [];
  const retries = config["request-retry"];
  if (typeof retries === "number" && Number.isInteger(retries) && retries >= 0) {
    providerDefaults.push(["max_retries", retries]);
  }
  const interval = config["max-retry-interval"];
  if (typeof interval === "number" && Number.isFinite(interval) && interval > 0) {
    providerDefaults.push(["retry_delay", { max: `${interval}s` }]);
  }
  return providerDefaults;
}

/** The default route: Claude model names to a Claude key, else where the first alias goes. */
function defaultRoutes(
  providers: readonly DraftProvider[],
  aliases: ReadonlyMap<string, string[]>,
): DraftRoute[] {
  // It routed a Claude model name to a Claude key: ccp passes such names through.
  const claude = providers.find((p) =>
    p.fields.some(([k, v]) => k === "preset" && v === "anthropic")
  );
  const firstAlias = [...aliases][0];
  const routes: DraftRoute[] = claude
    ? [{
      name: "default",
      targets: [`${claude.id}/*`],
      comment: "CLIProxyAPI sent Claude model names to its Claude keys: so does ccp, as asked",
    }]
    : firstAlias
    ? [{
      name: "default",
      targets: firstAlias[1],
      comment: `Claude Code's own model names go where ${firstAlias[0]} goes`,
    }]
    : [];
  if (routes.length === 0) {
    throw new CliProxyApiError("no Claude key and no listed model to send requests to");
  }
  return routes;
}
