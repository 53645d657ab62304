/** Upstream failures -> Anthropic errors that name the provider, model and cause. */

import { UpstreamError } from "../core/errors.ts";
import { snippet, upstreamMessage } from "../core/upstream_message.ts";
import { clientErrorOf, refusesRegion } from "../core/upstream_status.ts";
import { redactUrlCredentials, scrubSecrets } from "../core/secrets.ts";
import { capitalise, describeTarget } from "../core/text.ts";
import { overflowError } from "../core/context_overflow.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import { UpstreamTimeoutError } from "../resilience/timeout_error.ts";
import { LOADING_ADVICE, retryLater, saysLoading } from "./model_loading.ts";

/** Builds the client-facing error for an upstream HTTP error answer. */
export function upstreamHttpError(options: {
  provider: string;
  model: string;
  status: number;
  headers: Headers;
  bodyText: string;
  keys: readonly string[];
  /** What the upstream did, when not simply this status (default `answered HTTP <status>`). */
  answered?: string;
  /** Set when ccp sent no key of its own: what to set (`NVIDIA_NIM_API_KEY`, ...). */
  missingKey?: string;
  /** What to change, said after the upstream's words (a 404 from an endpoint that is not there). */
  advice?: string;
  /** The provider was sent the client's own credential (`auth: passthrough`), not ccp's key. */
  passthrough?: boolean;
  /**
   * The advice is the whole fix (a model the server does not have: `ollama pull <model>`), so
   * the client gets a 400, whose message Claude Code prints: it prints none of a 404's, only
   * "There's an issue with the selected model (claude-...)", which names its own model.
   */
  shownWhole?: boolean;
}): UpstreamError {
  const mapped = options.shownWhole && options.status === 404
    ? SHOWN_WHOLE
    : clientErrorOf(options.status);
  const text = upstreamMessage(options.bodyText) || "(empty body)";
  // Scrubbed before it is cut: a key cut in two would no longer be found.
  const clean = ownAccountWords(scrubSecrets(text, options.keys), options.passthrough);
  // Only the upstream's words are capped: the hint before them and the advice after stay whole.
  const detail = snippet(clean);
  const hint = refusesRegion(options.status, text)
    ? " (the provider refuses requests from this machine's region, whatever the key: route to " +
      "another provider, or reach it through a proxy in a region it serves, its proxy: setting)"
    : options.status !== 401 && options.status !== 403
    ? ""
    : options.passthrough
    ? " (the provider refused the client's own credential (auth: passthrough))"
    : options.missingKey
    ? ` (ccp has no API key for this provider: set ${options.missingKey})`
    : " (the provider rejected ccp's API key for it: check the key in ccp's config)";
  const said = `${describeTarget(options.provider, options.model)} ${
    options.answered ?? `answered HTTP ${options.status}`
  }${hint}: ${detail}`;
  const overflow = overflowError(options.status, text, said);
  if (overflow) return overflow;
  const loading = saysLoading(options.status, text);
  const advice = options.advice ?? (loading ? LOADING_ADVICE : undefined);
  const message = advice ? `${said} (${advice})` : said;
  const retryAfter = options.headers.get("retry-after");
  const headers: Record<string, string> = loading ? retryLater(retryAfter) : {};
  if (retryAfter && (mapped.status === 429 || mapped.status >= 500)) {
    headers["retry-after"] = retryAfter;
  }
  return new UpstreamError(mapped.type, capitalise(message), {
    status: mapped.status,
    upstreamStatus: options.status,
    headers,
  });
}

const SHOWN_WHOLE = { status: 400, type: "invalid_request_error" } as const;

/**
 * Claude Code shows only "Credit balance is too low" (and a link to add funds to the user's own
 * Anthropic account) for any error whose message contains those words, hiding which provider
 * and key ran out. Said of ccp's key, the same fact is worded so its message is shown whole;
 * the client's own credential (passthrough) keeps Claude Code's reading, which is then right.
 */
function ownAccountWords(text: string, passthrough: boolean | undefined): string {
  return passthrough
    ? text
    : text.replace(/credit balance is too low/gi, "credit balance is not enough");
}

/** Builds the client-facing error for a request that never got an HTTP answer. */
export function upstreamNetworkError(options: {
  provider: string;
  model: string;
  url: string;
  error: unknown;
  hint?: string;
  /** The proxy the request went through, as named to the user (see proxyName). */
  proxy?: string;
  /** How long ago this place last answered a request of this process, when it did lately. */
  answeredAgoMs?: number;
  /** How the user moves the provider's address (see ProviderConfig.addressFix). */
  addressFix?: string;
  /** Where the provider's address is written (see ProviderConfig.addressAt). */
  addressAt?: string;
}): UpstreamError {
  const cause = networkCause(options.error);
  if (options.proxy) return throughProxyError({ ...options, proxy: options.proxy }, cause);
  // Refused on this machine: the model server is not running, which no retry soon changes.
  // Claude Code would retry the 502 for minutes, silently under -p; it obeys x-should-retry.
  const refusedHere = cause === "connection refused" && isLoopbackHost(hostOf(options.url));
  // Unless it answered a while ago: a server restarted to load a model refuses until it is ready.
  const restarting = refusedHere && options.answeredAgoMs !== undefined;
  const notRunning = refusedHere && !restarting;
  // A base_url with the wrong scheme fails the same way on every try.
  const scheme = schemeAdvice(cause, options.url, options.addressAt ?? "its base_url");
  const advice = restarting
    ? `It answered ${Math.max(1, Math.round(options.answeredAgoMs! / 1000))}s ago: ` +
      `${LOADING_ADVICE} (or start it again if it stopped)`
    : options.hint ??
      (notRunning
        ? `Nothing listens there: start the model server, or ${
          options.addressFix ?? "fix its base_url"
        }`
        : scheme);
  const settled = notRunning || scheme !== "" || cause.startsWith(BLOCKED_PORT);
  return new UpstreamError(
    "api_error",
    `Cannot reach ${describeTarget(options.provider, options.model)} at ${
      addressOf(options.url)
    }: ${cause}${advice ? `. ${advice}` : ""}`,
    {
      status: 502,
      cause: options.error,
      ...(settled
        ? { headers: { "x-should-retry": "false" } }
        : restarting
        ? { headers: retryLater() }
        : {}),
    },
  );
}

// What Deno's fetch says when the proxy, not the upstream, failed the request.
const PROXY_CAUSES: Array<[RegExp, string]> = [
  [/proxy authentication required/i, "the proxy asks for a user and password (407)"],
  [/unsuccessful tunnel/i, "the proxy refused to open a tunnel (CONNECT) to the upstream"],
];

/**
 * A request through a proxy that failed before any answer: fetch's own words never say that a
 * proxy was involved, and "connection refused" there is the proxy's, not the upstream's.
 */
function throughProxyError(
  options: { provider: string; model: string; url: string; error: unknown; proxy: string },
  cause: string,
): UpstreamError {
  const text = options.error instanceof Error
    ? `${options.error.message} ${String(options.error.cause ?? "")}`
    : String(options.error);
  const known = PROXY_CAUSES.find(([pattern]) => pattern.test(text))?.[1];
  const said = known ??
    (cause === "connection refused"
      ? "the proxy refused the connection (is it running, and is its address right?)"
      : cause);
  return new UpstreamError(
    "api_error",
    `Cannot reach ${describeTarget(options.provider, options.model)} at ${
      addressOf(options.url)
    } through ${options.proxy}: ${said}`,
    { status: 502, cause: options.error },
  );
}

/** A proxy as ccp names it: scheme, host and port (never its user or password), and its source. */
export function proxyName(proxy: string, from?: string): string {
  let place: string;
  try {
    const url = new URL(proxy);
    place = `${url.protocol}//${url.host}`;
  } catch {
    place = redactUrlCredentials(proxy.replace(/^[^@/]*@/, ""));
  }
  return from && from !== "proxy" ? `proxy ${place} (from ${from})` : `proxy ${place}`;
}

// Deno's fetch refuses ports browsers keep for other protocols (1, 6000, ...) before connecting.
const BLOCKED_PORT = "port ";

// The two ways a base_url's scheme can be the wrong one, as the cause reads them.
const PLAIN_ANSWER = "the server answered in plain HTTP";
const NOT_HTTP = "the answer was not HTTP";

/**
 * `http://` against a TLS port, or `https://` against a plain one, or a port fetch blocks: what to
 * write instead, in `at` (where the address is written).
 */
function schemeAdvice(cause: string, url: string, at: string): string {
  if (cause.startsWith(BLOCKED_PORT)) return `Use another port in ${at}`;
  const https = url.startsWith("https:");
  if (https && cause.includes(PLAIN_ANSWER)) return `Use http:// in ${at}`;
  if (!https && cause.includes(NOT_HTTP)) {
    return `The server may speak HTTPS: use https:// in ${at}`;
  }
  return "";
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/** Short, human cause of a fetch failure (connection refused, DNS, TLS, reset...). */
export function networkCause(error: unknown): string {
  // Timeouts already say which one fired, after how long, and which setting to raise.
  if (error instanceof UpstreamTimeoutError) return `${error.message}; ${error.advice}`;
  const text = error instanceof Error
    ? `${error.message} ${String(error.cause ?? "")}`
    : String(error);
  const blocked = /Requests to port (\d+) are blocked/.exec(text);
  if (blocked) {
    return `${BLOCKED_PORT}${blocked[1]} is blocked by fetch (reserved for another protocol)`;
  }
  const known: Array<[RegExp, string]> = [
    [/connection refused|ECONNREFUSED/i, "connection refused"],
    // rustls meeting an HTTP answer where a TLS record should be (https:// to a plain port).
    [/corrupt message of type InvalidContentType/i, `TLS handshake failed: ${PLAIN_ANSWER}`],
    // hyper reading a TLS alert as an HTTP answer (http:// to a TLS port).
    [/invalid HTTP version parsed/i, NOT_HTTP],
    [/dns error|failed to lookup|name or service not known|ENOTFOUND/i, "host name not found"],
    [/certificate|tls|ssl/i, "TLS handshake failed"],
    [/connection reset|ECONNRESET|broken pipe/i, "connection reset"],
    [/timed? ?out/i, "connection timed out"],
    [/unreachable/i, "network unreachable"],
  ];
  for (const [pattern, label] of known) if (pattern.test(text)) return label;
  // fetch's own message is "fetch failed"; what failed is in its cause, after the request's URL.
  const said = error instanceof Error
    ? error.message === "fetch failed" && error.cause instanceof Error
      ? error.cause.message.split("): ").at(-1) ?? error.message
      : error.message
    : String(error);
  // fetch's words may quote the URL it was asked for, with a token in a query value; a proxy's URL
  // (with its password) can appear in the client library's message.
  const named = said.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)"'<>]+/gi, (url) => addressOf(url));
  return redactUrlCredentials(scrubSecrets(named));
}

/**
 * A URL as ccp says it: origin and path, without credentials, query or fragment. Every message,
 * log line and error body that names an upstream's address goes through here, because a base_url
 * may carry a key (`https://TOKEN@host`, `?api-key=`).
 */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split("?")[0]!;
  }
}
