/** One claude-code-router `Providers[]` entry -> one ccp `providers:` entry. */

import { findPreset } from "../../providers/catalog.ts";
import type { DraftProvider } from "./convert.ts";
import { type CcpType, KNOWN_HOSTS, LOOPBACK_NAMES, PRESET_NOTES, TRANSFORMERS } from "./tables.ts";
import {
  ccpData,
  ccpText,
  isObject,
  type Json,
  providerId,
  refName,
  secretRef,
  type State,
} from "./text.ts";

/** A `transformer.use` list as (name, options) pairs: `"x"` or `["x", {options}]`. */
function parseUse(use: unknown): Array<{ name: string; options: Json }> {
  if (!Array.isArray(use)) return [];
  return use.flatMap((item) => {
    if (typeof item === "string") return [{ name: item, options: {} }];
    if (Array.isArray(item) && typeof item[0] === "string") {
      return [{ name: item[0], options: isObject(item[1]) ? item[1] : {} }];
    }
    return [];
  });
}

/** The URL with any query and credentials removed, for comments. */
function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The preset a URL's host (or, for local servers, its port) names, if any. */
function knownPreset(url: URL): string | undefined {
  return KNOWN_HOSTS.find((h) => h.host === url.hostname || h.host === `*:${url.port}`)?.preset;
}

/** The API root under a full endpoint URL, by the protocol ccp will speak to it. */
function apiRoot(url: string, type: CcpType): string {
  const trimmed = url.replace(/[?#].*$/, "").replace(/\/+$/, "");
  const suffix: Record<CcpType, RegExp> = {
    openai: /\/chat\/completions$/,
    openai_responses: /\/responses$/,
    anthropic: /\/messages$/,
    gemini: /\/models(\/.*)?$/,
  };
  return trimmed.replace(suffix[type], "");
}

/** The protocol a URL without a preset speaks: the transformers say, else its path. */
function guessType(url: string, declared: CcpType | undefined): CcpType {
  if (declared) return declared;
  if (/\/messages\/?$/.test(url)) return "anthropic";
  if (/\/responses\/?$/.test(url)) return "openai_responses";
  if (/googleapis\.com\/.*\/models/.test(url)) return "gemini";
  return "openai";
}

/** Folds transformer settings into model_settings[model]; extra_body objects are merged. */
function addSettings(
  into: Record<string, Record<string, unknown>>,
  model: string,
  settings: Record<string, unknown>,
): void {
  if (Object.keys(settings).length === 0) return;
  const now = into[model] ?? {};
  const extra = isObject(now.extra_body) && isObject(settings.extra_body)
    ? { extra_body: { ...now.extra_body, ...settings.extra_body } }
    : {};
  into[model] = { ...now, ...settings, ...extra };
}

/** Converts one `Providers[]` entry; undefined when it cannot be carried over (noted). */
export function convertProvider(
  raw: unknown,
  index: number,
  top: Json,
  state: State,
): { name: string; provider: DraftProvider } | undefined {
  const name = isObject(raw) && typeof raw.name === "string" ? raw.name.trim() : "";
  if (!isObject(raw) || name === "" || typeof raw.api_base_url !== "string") {
    state.notCarried.push(`Providers[${index}]: needs a name and an api_base_url; left out`);
    return undefined;
  }
  const transformer = isObject(raw.transformer) ? raw.transformer : {};
  const use = parseUse(transformer.use);
  const rules = use.map((u) => ({ ...u, rule: TRANSFORMERS[u.name.toLowerCase()] }));
  const unsupported = rules.find((r) => r.rule?.kind === "unsupported");
  if (unsupported?.rule?.kind === "unsupported") {
    state.notCarried.push(
      `provider ${name}: transformer ${unsupported.name}: ${unsupported.rule.why}; left out`,
    );
    return undefined;
  }
  const rawUrl = raw.api_base_url.trim();
  let url: URL | undefined;
  try {
    if (!rawUrl.includes("$")) url = new URL(rawUrl);
  } catch {
    url = undefined;
  }
  let declared: CcpType | undefined;
  for (const r of rules) if (r.rule?.kind === "type") declared = r.rule.type;

  const id = providerId(name, state);
  const fields: Array<readonly [string, unknown]> = [];
  const comments: string[] = [];
  const shown = url ? shownUrl(url) : ccpText(rawUrl);
  let preset = url ? findPreset(knownPreset(url) ?? "") : undefined;
  // OpenAI's Codex models are only on the Responses API, which has its own preset.
  if (preset?.id === "openai" && guessType(rawUrl, declared) === "openai_responses") {
    preset = findPreset("openai_responses");
  }
  if (preset && url) {
    fields.push(["preset", preset.id]);
    const presetUrl = new URL(preset.baseUrl);
    // The user's own address (another port, a LAN host) with the preset's API path.
    if (presetUrl.host !== url.host) {
      fields.push(["base_url", `${url.origin}${presetUrl.pathname.replace(/\/+$/, "")}`]);
    }
    comments.push(`CCR ${name}: ${shown} \u2192 preset ${preset.id} (${preset.type} API)`);
    const note = PRESET_NOTES[preset.id];
    if (note) comments.push(note);
  } else {
    const type = guessType(rawUrl, declared);
    fields.push(["type", type], ["base_url", ccpText(apiRoot(rawUrl, type))]);
    comments.push(`CCR ${name}: ${shown}`);
  }

  const key = typeof raw.api_key === "string" ? raw.api_key.trim() : "";
  if (key !== "") {
    if (preset && !preset.keyEnv && refName(key) === undefined) {
      comments.push(`its api_key is left out: ${preset.id} takes no key`);
    } else fields.push(["api_key", secretRef(key, `${id}_API_KEY`, state)]);
  }
  const proxy = typeof top.PROXY_URL === "string" ? top.PROXY_URL.trim() : "";
  if (proxy !== "") {
    // A server on this machine is not reached through the proxy.
    if (url && LOOPBACK_NAMES.has(url.hostname)) comments.push("PROXY_URL not used: local server");
    else fields.push(["proxy", ccpText(proxy)]);
  }
  const models = Array.isArray(raw.models)
    ? raw.models.filter((m): m is string => typeof m === "string" && m.trim() !== "")
    : [];
  if (models.length > 0) fields.push(["models", models.map(ccpText)]);

  const { modelSettings, headers } = transformerSettings(name, transformer, use, comments, state);
  if (Object.keys(headers).length > 0) fields.push(["headers", headers]);
  return { name, provider: { id, comments, fields, modelSettings } };
}

/**
 * What the transformers (the provider's, then each model's) become: model settings, headers (per
 * provider in ccp: a model's transformer adds them for all its models), and comments and notes
 * for those ccp does itself or cannot carry over.
 */
function transformerSettings(
  name: string,
  transformer: Json,
  use: ReturnType<typeof parseUse>,
  comments: string[],
  state: State,
): { modelSettings: Record<string, Record<string, unknown>>; headers: Json } {
  const modelSettings: Record<string, Record<string, unknown>> = {};
  const headers: Json = {};
  const perModel = Object.entries(transformer).filter(([k, v]) => k !== "use" && isObject(v));
  const lists = [
    { model: "*", use },
    ...perModel.map(([model, v]) => ({ model: ccpText(model), use: parseUse((v as Json).use) })),
  ];
  for (const list of lists) {
    for (const { name: tName, options } of list.use) {
      const rule = TRANSFORMERS[tName.toLowerCase()];
      const where = list.model === "*" ? "" : ` (${list.model})`;
      if (!rule) {
        state.notCarried.push(
          `provider ${name}${where}: transformer ${tName}: unknown to ccp (a plugin?); not carried over`,
        );
      } else if (rule.kind === "settings") {
        const { headers: more, ...settings } = ccpData(rule.settings(options)) as Json;
        addSettings(modelSettings, list.model, settings);
        if (Object.keys(settings).length === 0 && !more && rule.why) {
          comments.push(`${tName}${where}: done by ${rule.why}`);
        }
        if (isObject(more)) Object.assign(headers, more);
      } else if (rule.kind === "builtin") comments.push(`${tName}${where}: done by ${rule.why}`);
      else if (rule.kind === "none" || rule.kind === "unsupported") {
        const why = rule.why;
        comments.push(`${tName}${where}: not carried over: ${why}`);
        state.notCarried.push(`provider ${name}${where}: transformer ${tName}: ${why}`);
      }
    }
  }
  return { modelSettings, headers };
}
