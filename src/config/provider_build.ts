/** Builds one normalised ProviderConfig from built-in defaults, a preset, provider_defaults and its own keys. */

import type { Preset } from "../providers/catalog.ts";
import { chatRootOf } from "../providers/chat_roots.ts";
import type {
  AuthHeader,
  KeyStrategy,
  ModelSettings,
  ProviderConfig,
  Timeouts,
  WireProtocol,
} from "./types.ts";
import { mergeSettings } from "./settings_merge.ts";
import type { ProviderDefaultsSection, ProviderSection } from "./schema/config.ts";
import { redactUrlCredentials } from "../core/secrets.ts";
import { unique } from "./env/map.ts";
import { isEmptySettings, toModelSettings } from "./schema/model.ts";
import { OPENAI_DIALECTS } from "../translate/openai_chat/dialects.ts";
import { cleaningFor } from "../upstream/cleaning/resolve.ts";
import { keyTextProblem } from "./key_text.ts";

/** Values every provider gets unless a preset, provider_defaults or the provider says otherwise. */
const BUILTIN_PROVIDER_DEFAULTS = {
  timeouts: { connectMs: 10_000, firstByteMs: 600_000, idleMs: 120_000, totalMs: 0 },
  maxRetries: 3,
  fallbackOn: [429, 500, 502, 503, 504, 529],
  keyUsageLimit: 0,
} as const;

/** Each protocol's native key header, for providers without a preset. */
const AUTH_HEADER_OF_TYPE: Readonly<Record<WireProtocol, AuthHeader>> = {
  openai: "bearer",
  openai_responses: "bearer",
  anthropic: "x-api-key",
  gemini: "x-goog-api-key",
};

/** The layers one provider is built from: built-in defaults < preset < provider_defaults < own keys. */
export interface ProviderLayers {
  readonly id: string;
  /** Catalog entry, if the provider uses one (below provider_defaults). */
  readonly preset?: Preset;
  /** `provider_defaults` (below the provider's own keys). */
  readonly defaults?: ProviderDefaultsSection;
  /** The provider's own keys (highest priority). */
  readonly own: ProviderSection;
  readonly implicit: boolean;
}

/** A problem with one key of the provider ("" = the provider as a whole). */
export interface BuildProblem {
  readonly key: string;
  readonly message: string;
}

/**
 * Checks an http(s) URL and drops its path's trailing slashes and its fragment (never sent, and
 * read as part of the path where ccp adds its own); returns a message when it is not one. The
 * query (a gateway's `?api-version=`) is kept as written, and follows whatever path ccp adds.
 */
function normaliseBaseUrl(raw: string): { url: string } | { message: string } {
  const trimmed = raw.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return {
      message: `${
        JSON.stringify(redactUrlCredentials(raw))
      } is not a URL (e.g. http://127.0.0.1:8000/v1)`,
    };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return {
      message: `${JSON.stringify(redactUrlCredentials(raw))} is not an http:// or https:// URL`,
    };
  }
  const hash = trimmed.indexOf("#");
  const written = hash === -1 ? trimmed : trimmed.slice(0, hash);
  const at = written.indexOf("?");
  const path = (at === -1 ? written : written.slice(0, at)).replace(/\/+$/, "");
  const query = at === -1 || at === written.length - 1 ? "" : written.slice(at);
  const url = path + query;
  // The root to give instead: the path without its last `cut` characters, the query kept.
  const rootWithout = (cut: number) =>
    redactUrlCredentials(path.slice(0, path.length - cut) + query);
  // An endpoint copied from a provider's curl example: ccp adds the endpoint to the root itself.
  const endpoint = /\/(chat\/completions|messages|responses)$/.exec(new URL(url).pathname)?.[0];
  if (endpoint !== undefined) {
    const root = rootWithout(endpoint.length);
    return {
      message: `ends in ${endpoint}, the endpoint ccp adds itself: give the API root, ${
        JSON.stringify(root)
      }`,
    };
  }
  // A version written twice (`.../v1/v1`): a root with /v1 copied, and /v1 typed again after it.
  const twice = /\/(v\d+\w*)\/\1$/.exec(new URL(url).pathname);
  if (twice !== null) {
    const root = rootWithout(twice[1]!.length + 1);
    return {
      message: `ends in /${twice[1]}/${twice[1]}, the version written twice: give the API root, ${
        JSON.stringify(root)
      }`,
    };
  }
  return { url };
}

/** Checks a proxy URL (http, https or socks5, as Deno.createHttpClient accepts). */
function checkProxy(raw: string): string | undefined {
  try {
    const { protocol } = new URL(raw.trim());
    if (["http:", "https:", "socks5:", "socks5h:"].includes(protocol)) return undefined;
  } catch {
    // Falls through to the message below.
  }
  return `${
    JSON.stringify(redactUrlCredentials(raw))
  } is not a proxy URL (e.g. http://proxy:3128 or socks5://host:1080)`;
}

/** Keys in rotation order: the provider's own if it names any, else provider_defaults'. */
// Fill-first is the default and is left unwritten, so configs (and their fingerprints) that never
// name a strategy read as they did before there was one.
function keyStrategyOf(strategy: KeyStrategy | undefined): { keyStrategy?: KeyStrategy } {
  return strategy === undefined || strategy === "fill_first" ? {} : { keyStrategy: strategy };
}

// No provider issues a key with a comma in it: an api_key that has one reads a list variable
// (`K1,K2`, the `*_API_KEYS` form, or a key variable that held several in the env-only mode,
// which splits them too), and sending it whole as one key would fail with every provider.
const keysOfField = (text: string | undefined) => (text ?? "").split(",");

function collectKeys(own: ProviderSection, defaults: ProviderDefaultsSection): string[] {
  const pick = (s: ProviderDefaultsSection) => [...keysOfField(s.api_key), ...(s.api_keys ?? [])];
  const named = own.api_key !== undefined || own.api_keys !== undefined;
  return unique((named ? pick(own) : pick(defaults)).map((k) => k.trim()).filter((k) => k !== ""));
}

/** Keys whose text no provider issued (quotes kept, a placeholder, a stray character). */
function keyProblems(own: ProviderSection, defaults: ProviderDefaultsSection): BuildProblem[] {
  const named = own.api_key !== undefined || own.api_keys !== undefined;
  const layer = named ? own : defaults;
  const problems: BuildProblem[] = [];
  const several = keysOfField(layer.api_key).map((k) => k.trim()).filter((k) => k !== "");
  several.forEach((key, i) => {
    const problem = keyTextProblem(key);
    const which = several.length > 1 ? `entry ${i + 1}: ` : "";
    if (problem) problems.push({ key: "api_key", message: which + problem });
  });
  const list = layer.api_keys ?? [];
  list.forEach((key, i) => {
    const problem = keyTextProblem(key.trim());
    const which = list.length > 1 ? `entry ${i + 1}: ` : "";
    if (problem) problems.push({ key: "api_keys", message: which + problem });
  });
  return problems;
}

/**
 * What the wire protocols need from a provider's preset, resolved once here so requests never
 * look anything up by name: its Chat Completions dialect and its compiled request cleaning.
 */
export function protocolParts(
  source: { preset?: Preset; baseUrl: string; serverTools?: boolean },
): Pick<ProviderConfig, "dialect" | "cleaning"> {
  return {
    dialect: source.preset?.dialect ?? OPENAI_DIALECTS.openai_compatible,
    cleaning: cleaningFor(source),
  };
}

/** Builds the provider, or reports what is missing or wrong. */
export function buildProvider(
  layers: ProviderLayers,
): { provider?: ProviderConfig; problems: BuildProblem[] } {
  const { id, preset, own } = layers;
  const defaults = layers.defaults ?? {};
  const problems: BuildProblem[] = [];

  const type = own.type ?? preset?.type;
  if (type === undefined) {
    problems.push({
      key: "",
      message: "needs preset: (a catalog entry) or type: (openai, anthropic or gemini)",
    });
  }

  // A preset of the Anthropic protocol asked to speak Chat Completions has its root there.
  const chatRoot = chatRootOf(preset, own.type);
  const baseUrl = baseUrlOf(own.base_url ?? chatRoot?.baseUrl, preset, problems);

  const auth = own.auth ?? defaults.auth ?? "key";
  if (auth === "passthrough" && type !== undefined && type !== "anthropic") {
    problems.push({
      key: "auth",
      message: `passthrough works only with type anthropic, not ${type}`,
    });
  }
  if (own.server_tools === true && type !== undefined && type !== "anthropic") {
    problems.push({
      key: "server_tools",
      message: `works only with type anthropic: a ${type} upstream is sent a translated ` +
        "request, never Anthropic's server tools",
    });
  }
  const proxy = own.proxy ?? defaults.proxy;
  const proxyProblem = proxy === undefined || proxy.trim() === "" ? undefined : checkProxy(proxy);
  if (proxyProblem) problems.push({ key: "proxy", message: proxyProblem });
  problems.push(...keyProblems(own, defaults));
  const rateLimit = own.rate_limit ?? defaults.rate_limit;
  if (rateLimit !== undefined && rateLimit.window <= 0) {
    problems.push({ key: "rate_limit.window", message: "must be more than 0" });
  }
  if (problems.length > 0 || type === undefined) return { problems };

  const maxConcurrency = own.max_concurrency ?? defaults.max_concurrency;
  const retryBase = own.retry_delay?.base ?? defaults.retry_delay?.base;
  const retryMax = own.retry_delay?.max ?? defaults.retry_delay?.max;
  const retryDelay = {
    ...(retryBase !== undefined ? { baseMs: retryBase } : {}),
    ...(retryMax !== undefined ? { maxMs: retryMax } : {}),
  };
  const modelSettings = modelSettingsOf(preset, defaults, own);
  const provider: ProviderConfig = {
    id,
    ...(preset ? { preset: preset.id } : {}),
    type,
    baseUrl,
    apiKeys: collectKeys(own, defaults),
    authHeader: own.auth_header ?? defaults.auth_header ?? chatRoot?.authHeader ??
      preset?.authHeader ??
      AUTH_HEADER_OF_TYPE[type],
    auth,
    headers: { ...defaults.headers, ...own.headers },
    ...(proxy !== undefined && proxy.trim() !== "" ? { proxy: proxy.trim() } : {}),
    models: unique(own.models ?? defaults.models ?? []),
    timeouts: timeoutsOf(own, defaults),
    maxRetries: own.max_retries ?? defaults.max_retries ?? BUILTIN_PROVIDER_DEFAULTS.maxRetries,
    ...(Object.keys(retryDelay).length > 0 ? { retryDelay } : {}),
    ...(rateLimit
      ? { rateLimit: { requests: rateLimit.requests, windowMs: rateLimit.window } }
      : {}),
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    fallbackOn: own.fallback_on ?? defaults.fallback_on ??
      [...BUILTIN_PROVIDER_DEFAULTS.fallbackOn],
    keyUsageLimit: own.key_usage_limit ?? defaults.key_usage_limit ??
      BUILTIN_PROVIDER_DEFAULTS.keyUsageLimit,
    ...keyStrategyOf(own.key_strategy ?? defaults.key_strategy),
    countTokens: own.count_tokens ?? defaults.count_tokens ?? preset?.countTokens ?? false,
    // Left unwritten unless set, so configs that never name it read as they did before.
    ...(own.server_tools !== undefined ? { serverTools: own.server_tools } : {}),
    implicit: layers.implicit,
    ...(Object.keys(modelSettings).length > 0 ? { modelSettings } : {}),
    ...protocolParts({ preset, baseUrl, serverTools: own.server_tools }),
  };
  return { provider, problems };
}

/** The API root: the provider's, else its preset's; a missing or bad one is a problem. */
function baseUrlOf(
  written: string | undefined,
  preset: Preset | undefined,
  problems: BuildProblem[],
): string {
  const rawUrl = written ?? (preset?.baseUrl || undefined);
  if (rawUrl === undefined) {
    const why = preset
      ? `the ${preset.id} preset has no default`
      : "a provider without preset needs one";
    problems.push({
      key: "base_url",
      message: `missing: ${why}; set base_url to the API root (e.g. http://127.0.0.1:8000/v1)`,
    });
    return "";
  }
  const checked = normaliseBaseUrl(rawUrl);
  if (!("message" in checked)) return checked.url;
  problems.push({ key: "base_url", message: checked.message });
  return "";
}

/** Each timeout: the provider's, else provider_defaults', else ccp's. */
function timeoutsOf(own: ProviderSection, defaults: ProviderDefaultsSection): Timeouts {
  const builtin = BUILTIN_PROVIDER_DEFAULTS.timeouts;
  return {
    connectMs: own.timeouts?.connect ?? defaults.timeouts?.connect ?? builtin.connectMs,
    firstByteMs: own.timeouts?.first_byte ?? defaults.timeouts?.first_byte ?? builtin.firstByteMs,
    idleMs: own.timeouts?.idle ?? defaults.timeouts?.idle ?? builtin.idleMs,
    totalMs: own.timeouts?.total ?? defaults.timeouts?.total ?? builtin.totalMs,
  };
}

/**
 * The preset's knowledge of its models comes first, then provider_defaults'; the provider's own
 * settings win per key.
 */
function modelSettingsOf(
  preset: Preset | undefined,
  defaults: ProviderDefaultsSection,
  own: ProviderSection,
): Record<string, ModelSettings> {
  const modelSettings: Record<string, ModelSettings> = { ...preset?.modelSettings };
  for (const layer of [defaults.model_settings, own.model_settings]) {
    for (const [model, section] of Object.entries(layer ?? {})) {
      const settings = toModelSettings(section);
      if (isEmptySettings(settings)) continue;
      const known = modelSettings[model];
      modelSettings[model] = known ? mergeSettings(known, settings) : settings;
    }
  }
  return modelSettings;
}
