/**
 * tizee anthropic-proxy's models.yaml -> a ccp config, as data (the claude-code-router converter's
 * Draft, written by the same renderer). Pure: literal keys come back separately for the .env.
 * Each entry's `model_id` becomes an alias of its upstream model, with the entry's settings as
 * a route variant, so several ids of one model (effort variants) stay several names.
 */

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

/** A provider being built, with the key that tells whether an entry can share it. */
type KeyedProvider = DraftProvider & { key: string };

/** A models.yaml that cannot be converted at all; the message is for the user. */
export class TizeeError extends Error {}

/** Entry keys read here (the rest are named as not carried). */
const READ = new Set([
  "model_id",
  "model_name",
  "api_base",
  "api_key",
  "format",
  "direct",
  "max_tokens",
  "max_input_tokens",
  "context",
  "extra_headers",
  "extra_body",
  "reasoning_effort",
  "temperature",
  "provider",
  "can_stream",
]);

/** The wire protocol an entry speaks: `format`, else the legacy `direct: true`. */
function typeOf(entry: Json): "openai" | "anthropic" | "gemini" | undefined {
  const format = typeof entry.format === "string" ? entry.format.trim().toLowerCase() : "";
  if (format === "openai" || format === "anthropic" || format === "gemini") return format;
  if (format !== "") return undefined;
  return entry.direct === true ? "anthropic" : "openai";
}

/** The API root under `api_base`, as ccp's base_url takes it. */
function rootOf(apiBase: string): string {
  return apiBase.trim().replace(/\/+$/, "").replace(/\/(chat\/completions|messages)$/, "");
}

/**
 * A provider id from the host: `api.deepseek.com` -> `deepseek`, `localhost:8000` -> `localhost`.
 */
function idOf(apiBase: string): string {
  let host = "provider";
  try {
    const labels = new URL(apiBase).hostname.split(".");
    host = labels.length > 1 && !/^\d+$/.test(labels.at(-1)!) ? labels.at(-2)! : labels.join("_");
  } catch {
    // An unreadable URL keeps the plain name; ccp check names the URL.
  }
  return host.replace(/[^A-Za-z0-9_-]/g, "_") || "provider";
}

/** A size written as 8k or a number, as ccp reads it (both take k = 1000). */
function size(value: unknown): unknown {
  return typeof value === "number" || (typeof value === "string" && value.trim() !== "")
    ? value
    : undefined;
}

/** Converts a parsed models.yaml (a list of entries); throws TizeeError when nothing can move. */
export function convertTizee(models: unknown): Draft {
  const list = Array.isArray(models)
    ? models
    : isObject(models) && Array.isArray(models.models)
    ? models.models
    : undefined;
  if (!list || list.length === 0) {
    throw new TizeeError("expected a list of model entries (model_id, api_base, \u2026)");
  }
  const state: State = { notCarried: [], secrets: [], envRefs: new Set(), ids: new Set() };
  const providers: KeyedProvider[] = [];
  const aliases: DraftRoute[] = [];
  for (const [i, raw] of list.entries()) {
    const entry = isObject(raw) ? raw : {};
    const id = typeof entry.model_id === "string" ? entry.model_id.trim() : "";
    const where = `entry ${i + 1}${id ? ` (${id})` : ""}`;
    const apiBase = typeof entry.api_base === "string" ? entry.api_base.trim() : "";
    if (typeof entry.provider === "string" && entry.provider.trim() !== "") {
      state.notCarried.push(
        `${where}: provider ${entry.provider} is a login ccp does not have (only Claude Code's ` +
          "own is passed through); not carried over",
      );
      continue;
    }
    const type = typeOf(entry);
    if (id === "" || apiBase === "" || !type) {
      state.notCarried.push(
        `${where}: needs model_id, api_base and a known format; not carried over`,
      );
      continue;
    }
    const provider = providerFor(providers, entry, type, apiBase, where, state);
    const upstream = typeof entry.model_name === "string" && entry.model_name.trim() !== ""
      ? entry.model_name.trim()
      : id;
    const variant = variantOf(entry);
    const left = Object.entries(entry)
      .filter(([k, v]) => !READ.has(k) && !isEmptyValue(v))
      .map(([k]) => k);
    if (left.length > 0) {
      state.notCarried.push(`${where}: ${left.join(", ")}: not used by ccp; not carried over`);
    }
    if (aliases.some((a) => a.name === id)) {
      state.notCarried.push(`${where}: model_id written twice; the first one is kept`);
      continue;
    }
    aliases.push({
      name: id,
      targets: [`${provider.id}/${literalText(upstream)}`],
      ...(Object.keys(variant).length > 0 ? { variant } : {}),
    });
  }
  const first = aliases[0];
  if (!first) throw new TizeeError("no entry could be converted");
  return {
    server: [],
    providers: providers.map(({ key: _, ...p }) => p),
    providerDefaults: [],
    routes: [{
      name: "default",
      targets: first.targets,
      ...(first.variant ? { variant: first.variant } : {}),
      comment: `Claude Code's own model names go where ${first.name} goes`,
    }],
    aliases,
    routing: [],
    secrets: state.secrets,
    envRefs: [...state.envRefs],
    notCarried: state.notCarried,
    peer: {
      name: "anthropic-proxy",
      command: "ccp init --from anthropic-proxy",
      intro: [
        "# Each model_id is an alias of its model with the entry's settings. Point Claude Code at",
        "# ccp's address itself (no /anthropic/v1 path) and at a model_id as before.",
      ],
      defaultsComment: "",
    },
  };
}

/** The provider an entry shares with those alike (format, API root, key), made when new. */
function providerFor(
  providers: KeyedProvider[],
  entry: Json,
  type: string,
  apiBase: string,
  where: string,
  state: State,
): KeyedProvider {
  const rawKey = typeof entry.api_key === "string" ? entry.api_key.trim() : "";
  const key = JSON.stringify([type, rootOf(apiBase), rawKey]);
  const known = providers.find((p) => p.key === key);
  if (known) return known;
  let pid = idOf(apiBase);
  const base = pid;
  for (let n = 2; providers.some((p) => p.id === pid); n++) pid = `${base}_${n}`;
  const fields: Fields = [
    ["type", type],
    ["base_url", literalText(rootOf(apiBase))],
  ];
  if (rawKey !== "") {
    fields.push(["api_key", literalSecret(rawKey, `${pid.toUpperCase()}_API_KEY`, state)]);
  } else {
    state.notCarried.push(
      `${where}: no api_key (the proxy used the client's own key); set api_key on ` +
        `providers.${pid}`,
    );
  }
  if (isObject(entry.extra_headers)) fields.push(["headers", literalData(entry.extra_headers)]);
  const provider = {
    id: pid,
    key,
    comments: [`models.yaml ${apiBase}`],
    fields,
    modelSettings: {},
  };
  providers.push(provider);
  return provider;
}

/** An entry's settings as its alias's route variant: output and window sizes, effort, body. */
function variantOf(entry: Json): Record<string, unknown> {
  const variant: Record<string, unknown> = {};
  const maxTokens = size(entry.max_tokens);
  if (maxTokens !== undefined) variant.max_output_tokens = maxTokens;
  const window = size(entry.max_input_tokens) ?? size(entry.context);
  if (window !== undefined) variant.context_window = window;
  const effort = typeof entry.reasoning_effort === "string"
    ? entry.reasoning_effort.trim().toLowerCase()
    : "";
  // minimal switched thinking off there; the other words are ccp's efforts too.
  if (effort === "minimal") variant.thinking = "off";
  else if (["low", "medium", "high", "xhigh", "max"].includes(effort)) {
    variant.reasoning_effort = effort;
  }
  const body = {
    ...(isObject(entry.extra_body) ? entry.extra_body : {}),
    ...(entry.temperature !== undefined ? { temperature: entry.temperature } : {}),
  };
  if (Object.keys(body).length > 0) variant.extra_body = literalData(body);
  return variant;
}
