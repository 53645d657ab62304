/** Keeps key material out of logs and responses. */

import { KeyFinder } from "./key_forms.ts";

/**
 * `text` without the given keys, as they are, encoded or in pieces (see key_forms.ts), and with
 * nothing else changed.
 */
export function withoutKeys(text: string, keys: readonly string[]): string {
  if (keys.length === 0) return text;
  let finder = finders.get(keys);
  if (!finder) finders.set(keys, finder = new KeyFinder(keys, MIN_KEY));
  return finder.replace(text, REDACTED);
}

/**
 * Shows a secret as `\u2026` plus its last 4 characters, the one way ccp ever shows a key. A key
 * shorter than 16 characters shows `\u2026` alone: an upstream's own mask of it (its first 8, say)
 * could sit in the same log line, and the two together would be most or all of it.
 */
export function redactKey(key: string): string {
  return key.length >= SHOWN_FROM ? `\u2026${key.slice(-4)}` : "\u2026";
}

// The shortest key whose last 4 characters are shown.
const SHOWN_FROM = 16;

// Shapes of credentials that upstream error messages sometimes echo back.
const KEY_PATTERNS: readonly RegExp[] = [
  /\b(sk|rk|pk|nvapi|gsk|csk|xai|fw|sk-or-v1|sk-ant-[a-z0-9]+)[-_][A-Za-z0-9_-]{8,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

const REDACTED = "[redacted]";
// A key this short is matched only whole (and one under 4 characters not at all).
const MIN_KEY = 4;
// Per list of keys: a provider's (`providerSecrets`) and a config's (`configuredKeys`) are built
// once and kept, so their finder is too.
const finders = new WeakMap<readonly string[], KeyFinder>();

/**
 * Removes the given keys, and anything shaped like a key, from text: each key as it is, in the
 * encoded forms an upstream may repeat it in, and in pieces (see key_forms.ts).
 */
export function scrubSecrets(text: string, keys: readonly string[] = []): string {
  let out = withoutKeys(text, keys);
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(
      pattern,
      (_match, prefix: string) => /^bearer$/i.test(prefix) ? `${prefix} ${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** What a provider's config holds besides its keys that may be a credential. */
export interface ProviderSecretSources {
  readonly apiKeys: readonly string[];
  readonly baseUrl: string;
  readonly proxy?: string;
  readonly headers: Readonly<Record<string, string>>;
}

const ownSecrets = new WeakMap<ProviderSecretSources, readonly string[]>();

/**
 * A provider's keys and the other credentials its config holds: those in its `base_url` and
 * `proxy` (a password, a user name that is a token, a `?key=` or `?api-key=` value) and the
 * values of its extra headers named like a credential (`api-key`, `x-auth-token`). An upstream
 * may quote any of them back (its own URL, in an error). Kept per provider: the config is frozen.
 */
export function providerSecrets(provider: ProviderSecretSources): readonly string[] {
  let found = ownSecrets.get(provider);
  if (found) return found;
  const extra = [provider.baseUrl, provider.proxy ?? ""].flatMap(urlSecrets);
  for (const [name, value] of Object.entries(provider.headers)) {
    if (!SECRET_PARAM.test(name)) continue;
    extra.push(value);
    const bare = value.replace(/^(bearer|basic|token)\s+/i, "");
    if (bare !== value) extra.push(bare);
  }
  // Short values that are only letters ("true", a region) are no secret and would cut words out
  // of every message; a short one with a digit or a sign (a local server's password `4321`) is,
  // and is matched only as a token of its own (key_forms.ts), as a short key is.
  const long = extra.filter((value) =>
    value.length >= 8 || (value.length >= MIN_KEY && !isPlaceholder(value))
  );
  const keys = provider.apiKeys.some(isPlaceholder)
    ? provider.apiKeys.filter((key) => !isPlaceholder(key))
    : provider.apiKeys;
  found = long.length === 0 ? keys : [...keys, ...long];
  ownSecrets.set(provider, found);
  return found;
}

/**
 * A short key that is only letters: a local server's placeholder (`none`, Ollama's `ollama`,
 * vLLM's `EMPTY`), which no provider issues and no one keeps secret. Taken out of an upstream's
 * text, it would take the same word out of the server's own messages ("tool_choice none",
 * "ollama pull").
 */
function isPlaceholder(key: string): boolean {
  return key.length < 8 && /^[A-Za-z]+$/.test(key);
}

function urlSecrets(url: string): string[] {
  if (url === "" || !URL.canParse(url)) return [];
  const parsed = new URL(url);
  const found: string[] = [];
  for (const part of [parsed.password, parsed.username]) {
    if (part !== "") found.push(part, decodeURIComponent(part));
  }
  for (const [name, value] of parsed.searchParams) {
    if (SECRET_PARAM.test(name)) found.push(value, encodeURIComponent(value));
  }
  return found;
}

/**
 * Every credential a config holds (each provider's `api_keys` and those of `providerSecrets`, and
 * a trace collector's header values), for scrubbing text that may quote one.
 */
export function configuredKeys(
  config: {
    providers: Readonly<Record<string, ProviderSecretSources>>;
    /** A trace collector's headers: its key, in any of them. */
    tracing?: { readonly headers: Readonly<Record<string, string>> };
  },
): readonly string[] {
  let found = keysOfConfig.get(config);
  if (!found) {
    const collector = headerCredentials(config.tracing?.headers ?? {})
      .filter((value) => value.length >= 8);
    found = [...Object.values(config.providers).flatMap(providerSecrets), ...new Set(collector)];
    keysOfConfig.set(config, found);
  }
  return found;
}

/**
 * The values of a collector's headers, each also without its scheme (`Bearer `, `Basic `,
 * `Token `): a server that quotes a credential back quotes the token alone.
 */
export function headerCredentials(headers: Readonly<Record<string, string>>): string[] {
  return Object.values(headers).flatMap((value) => {
    const bare = value.replace(/^(bearer|basic|token)\s+/i, "");
    return bare === value ? [value] : [value, bare];
  });
}

// Kept per config: it is frozen, and a reload makes a new one.
const keysOfConfig = new WeakMap<object, readonly string[]>();

/**
 * The URLs in `text` with their credentials shown as `...`: the password (and a user name that may
 * be a token), and the values of query parameters named like one (Gemini's `?key=`, a gateway's
 * `?api-key=` or `?token=`).
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(
    /(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s"]*)@/gi,
    (_m, scheme: string, auth: string) => {
      const colon = auth.indexOf(":");
      return colon < 0 ? `${scheme}\u2026@` : `${scheme}${auth.slice(0, colon)}:\u2026@`;
    },
  ).replace(URL_WITH_QUERY, (url) => {
    const query = url.indexOf("?");
    return url.slice(0, query) + url.slice(query).replace(
      /([?&])([^=&#]*)=([^&#]+)/g,
      (param, sign: string, name: string) =>
        SECRET_PARAM.test(name) ? `${sign}${name}=\u2026` : param,
    );
  });
}

// A URL in running text (up to a space, a quote or a bracket) that has a query.
const URL_WITH_QUERY = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>?]*\?[^\s"'`<>]*/gi;

// Config keys whose values are secrets, and list items under a key named so.
const SECRET_KEY =
  /^(\s*(?:-\s+)?["']?[\w.-]*(?:key|keys|token|secret|password|passwd)["']?\s*:\s*)(.*)$/i;
const LIST_ITEM = /^(\s*-\s+)(.+)$/;
// The same keys in a flow mapping, `- { name: ci, token: abc }`: a list, quoted or plain value.
const FLOW_SECRET =
  /[{,]\s*["']?[\w.-]*(?:key|keys|token|secret|password|passwd)["']?\s*:\s*(\[[^\]]*\]?|"[^"]*"?|'[^']*'?|[^,}\]#]*)/gi;

/**
 * The secret values written literally in a config file's text (after `api_key:`, `auth_token:`,
 * `password:`... and the list items under such a key), for scrubbing excerpts of that text.
 */
export function literalSecrets(text: string): string[] {
  const found: string[] = [];
  let listIndent = -1;
  for (const line of text.split(/\r?\n/)) {
    const indent = line.length - line.trimStart().length;
    for (const [, value = ""] of line.matchAll(FLOW_SECRET)) {
      const items = value.startsWith("[") ? value.replace(/^\[|\]$/g, "").split(",") : [value];
      found.push(...items.map(unquote));
    }
    const keyed = SECRET_KEY.exec(line);
    if (keyed) {
      const value = keyed[2]!.replace(/\s+#.*$/, "").trim();
      if (value === "" || value === "|" || value === ">") listIndent = indent;
      else {
        listIndent = -1;
        found.push(...value.replace(/^\[|\]$/g, "").split(",").map(unquote));
      }
      continue;
    }
    const item = listIndent >= 0 && indent >= listIndent ? LIST_ITEM.exec(line) : null;
    if (item) found.push(unquote(item[2]!.replace(/\s+#.*$/, "")));
    else if (line.trim() !== "" && indent <= listIndent) listIndent = -1;
  }
  return found.filter((value) => value.length >= 4 && !value.startsWith("${"));
}

function unquote(value: string): string {
  return value.trim().replace(/^["']|["']$/g, "");
}

// Query parameters that carry a credential in the gateways' own URLs (`?api-key=`, `?token=`, `?sig=`).
const SECRET_PARAM = /key|token|secret|sig|auth|pass|code/i;

/** Whether a query parameter or header named `name` carries a credential (`?key=`, `api-key`). */
export function namesCredential(name: string): boolean {
  return SECRET_PARAM.test(name);
}

/**
 * A URL without the credentials it may carry: the password, an HTTP user name that stands alone
 * (a token written as `https://TOKEN@host`; a database's user name is only a name), and
 * secret-looking query values (`?password=` in a database URL, a gateway's `?api-key=`).
 */
export function redactUrlSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    let changed = false;
    if (parsed.password !== "") {
      parsed.password = "***";
      changed = true;
    } else if (parsed.username !== "" && /^https?:$/.test(parsed.protocol)) {
      parsed.username = "***";
      changed = true;
    }
    for (const name of [...new Set(parsed.searchParams.keys())]) {
      if (SECRET_PARAM.test(name)) {
        parsed.searchParams.set(name, "***");
        changed = true;
      }
    }
    return changed ? parsed.toString().replace(/\/$/, url.endsWith("/") ? "/" : "") : url;
  } catch {
    return url;
  }
}

/**
 * A service's address as ccp shows it: without its query and fragment, where a key may sit under
 * any name (`?k=`), and without its credentials.
 */
export function shownAddress(url: string): string {
  const end = url.search(/[?#]/);
  return redactUrlSecrets(end === -1 ? url : url.slice(0, end));
}
