/**
 * Fetches one page for `web_fetch`, safely: http and https only; every host resolved and each
 * of its addresses checked before the request, and again at every redirect (followed by hand),
 * except a name only the proxy that fetches it can resolve; the connection made to the checked
 * addresses, tried in turn, so the name is not resolved a second time (pinned.ts);
 * a byte limit and a time limit; HTML reduced to text. Failures become Anthropic error codes.
 */

import type { WebFetchConfig } from "../config/types.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import { parseIpv4, parseIpv6 } from "../core/ip_address.ts";
import { blockedReason } from "./address.ts";
import { htmlTitle, htmlToText } from "./html_text.ts";
import { pinnedClient } from "./pinned.ts";

/** Anthropic's error codes for a fetch that produced no document. */
export type FetchErrorCode =
  | "invalid_tool_input"
  | "max_uses_exceeded"
  | "url_too_long"
  | "url_not_allowed"
  | "url_not_accessible"
  | "too_many_requests"
  | "unsupported_content_type"
  | "unavailable";

/** A fetched page as text. */
export interface FetchedPage {
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly title?: string;
  readonly text: string;
  /** True when the page was cut at the byte limit. */
  readonly truncated: boolean;
}

/** The page, or why there is none. */
export type FetchOutcome =
  | { readonly ok: true; readonly page: FetchedPage }
  | { readonly ok: false; readonly code: FetchErrorCode; readonly detail: string };

/** Resolves a host name to its IP addresses (giving up when `signal` fires, if it can). */
export type Resolver = (host: string, signal?: AbortSignal) => Promise<string[]>;

/** What a fetch needs besides its URL. */
export interface FetchDeps {
  readonly config: WebFetchConfig;
  readonly fetch: FetchLike;
  readonly signal: AbortSignal;
  /** Defaults to DNS A and AAAA lookups. */
  readonly resolve?: Resolver;
  /** The tool's `allowed_domains` / `blocked_domains`, asked of the URL and of every redirect. */
  readonly allowUrl?: (url: string) => boolean;
  /** Whether a proxy fetches `url` (and so resolves its host itself); default never. */
  readonly proxied?: (url: string) => boolean;
}

/** Anthropic refuses longer URLs with `url_too_long`; so does ccp. */
export const MAX_URL_LENGTH = 250;
const MAX_REDIRECTS = 10;
// Types read as text; anything else (images, archives, PDF) is refused as unsupported.
const TEXT_TYPE =
  /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json|rss\+xml|atom\+xml)\b)/;

/** Fetches `url` as text, refusing private destinations unless the config allows them. */
export async function fetchPage(url: string, deps: FetchDeps): Promise<FetchOutcome> {
  if (url.length > MAX_URL_LENGTH) {
    return failure("url_too_long", `the URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(deps.config.timeoutMs)]);
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return failure("invalid_tool_input", `"${url}" is not a URL`);
  }
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const checked = await checkDestination(current, deps, signal);
      if ("ok" in checked) return checked;
      // The connection goes to an address just checked: the name is not resolved again.
      const pinned = checked.addresses
        ? pinnedClient(current, checked.addresses, signal)
        : undefined;
      try {
        const response = await deps.fetch(current.href, {
          redirect: "manual",
          signal,
          headers: {
            accept: "text/html, text/plain;q=0.9, */*;q=0.5",
            "user-agent": "ccp-web-fetch",
          },
          ...(pinned ? { client: pinned.client } : {}),
        });
        const location = response.headers.get("location");
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel();
          current = new URL(location, current);
          continue;
        }
        return await readPage(current, response, deps.config.maxBytes);
      } catch (err) {
        // Fetch reports a relay that reached no address only as a closed connection.
        const unreachable = signal.aborted ? undefined : pinned?.unreachable();
        if (unreachable) return failure("url_not_accessible", `${current.host}: ${unreachable}`);
        throw err;
      } finally {
        pinned?.close();
      }
    }
    return failure("url_not_accessible", `more than ${MAX_REDIRECTS} redirects`);
  } catch (err) {
    if (signal.aborted && !deps.signal.aborted) {
      return failure("url_not_accessible", `no answer within ${deps.config.timeoutMs} ms`);
    }
    if (deps.signal.aborted) throw err;
    return failure("url_not_accessible", (err as Error).message);
  }
}

/**
 * Why `url` may not be fetched (scheme, or an address after resolution), or the checked addresses
 * its name resolved to (none when nothing was resolved: an address in the URL, private networks
 * allowed, or a name left to the proxy).
 */
async function checkDestination(
  url: URL,
  deps: Pick<FetchDeps, "config" | "resolve" | "allowUrl" | "proxied">,
  signal: AbortSignal,
): Promise<FetchOutcome | { readonly addresses?: readonly string[] }> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return failure("url_not_allowed", `the scheme ${url.protocol} is not allowed (http, https)`);
  }
  if (url.username || url.password) {
    return failure("url_not_allowed", "URLs with credentials are not fetched");
  }
  if (deps.allowUrl && !deps.allowUrl(url.href)) {
    return failure(
      "url_not_allowed",
      `${url.hostname} is outside the tool's allowed_domains or in its blocked_domains`,
    );
  }
  if (deps.config.allowPrivateNetworks) return {};
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  // Such names resolve to loopback on every system, whatever DNS says.
  if (host === "localhost" || host.endsWith(".localhost")) {
    return failure("url_not_allowed", `${host} is a loopback name`);
  }
  let addresses: string[];
  const literal = parseIpv4(host) !== undefined || parseIpv6(host) !== undefined;
  // Behind a proxy, this machine may have no DNS for outside names: the proxy resolves them.
  // Names that do resolve here are still checked, so an intranet name this machine knows stays
  // refused.
  const proxied = deps.proxied?.(url.href) === true;
  if (literal) addresses = [host];
  else {
    try {
      // A name server that never answers is bounded by the fetch's time limit too.
      addresses = await untilAborted((deps.resolve ?? resolveDns)(host, signal), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      if (proxied) return {};
      return failure("url_not_accessible", `cannot resolve ${host}: ${(err as Error).message}`);
    }
    if (addresses.length === 0) {
      return proxied ? {} : failure("url_not_accessible", `${host} has no address`);
    }
  }
  for (const address of addresses) {
    const reason = blockedReason(address);
    if (reason) return failure("url_not_allowed", `${host} is ${reason} (${address})`);
  }
  // Through a proxy, the proxy connects, to what it resolves: the name is all it can be given.
  if (literal || proxied) return {};
  return { addresses };
}

/** `promise`, or the abort's reason once `signal` fires first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/**
 * A and AAAA records of `host` (either may be missing). Deno's resolver reads the hosts file on
 * each lookup and prefers it to DNS, as the system resolver that the fetch uses does, so a name
 * the hosts file sends to loopback or the LAN is refused like its address
 * (tests/webtools/fetch_hosts_file_test.ts keeps it so).
 */
async function resolveDns(host: string, signal?: AbortSignal): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  const found = [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
  if (found.length === 0 && a.status === "rejected") throw a.reason;
  return found;
}

async function readPage(url: URL, response: Response, maxBytes: number): Promise<FetchOutcome> {
  if (response.status === 429) {
    await response.body?.cancel();
    return failure("too_many_requests", `${url.host} answered 429`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    return failure("url_not_accessible", `${url.host} answered ${response.status}`);
  }
  const declared = response.headers.get("content-type");
  const type = (declared ?? "text/plain").toLowerCase();
  if (!TEXT_TYPE.test(type)) {
    await response.body?.cancel();
    return failure("unsupported_content_type", `${type} is not text`);
  }
  const { bytes, truncated } = await readLimited(response, maxBytes);
  // A server that names no type, or calls everything text/plain, may be sending an archive or an
  // image: decoded as text it would be megabytes of noise in the model's context.
  if ((declared === null || type.startsWith("text/plain")) && looksBinary(bytes)) {
    return failure("unsupported_content_type", `${declared ?? "a body with no type"} is binary`);
  }
  const charset = /charset=([^;\s]+)/.exec(type)?.[1];
  let body: string;
  try {
    body = new TextDecoder(charset ?? "utf-8").decode(bytes);
  } catch {
    body = new TextDecoder().decode(bytes);
  }
  const html = type.includes("html");
  const title = html ? htmlTitle(body) : undefined;
  return {
    ok: true,
    page: {
      url: url.href,
      ...(title ? { title } : {}),
      text: html ? htmlToText(body) : body,
      truncated,
    },
  };
}

/**
 * Whether a body's first bytes are binary, as browsers sniff a text/plain answer: a byte-order
 * mark says text; a control byte other than tab, line feed, form feed, carriage return and escape
 * says binary.
 */
function looksBinary(bytes: Uint8Array): boolean {
  const [a, b, c] = bytes;
  if ((a === 0xfe && b === 0xff) || (a === 0xff && b === 0xfe)) return false;
  if (a === 0xef && b === 0xbb && c === 0xbf) return false;
  const end = Math.min(bytes.length, 512);
  for (let i = 0; i < end; i++) {
    const byte = bytes[i]!;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) {
      if (byte !== 0x1b) return true;
    }
  }
  return false;
}

/** Reads at most `maxBytes` of the body, then stops the download. */
export async function readLimited(
  response: Response,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const reader = response.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, truncated };
}

function failure(code: FetchErrorCode, detail: string): FetchOutcome {
  return { ok: false, code, detail };
}
