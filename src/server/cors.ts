/**
 * Browser clients (`server.cors`): a page of a listed origin may call ccp, as the Anthropic SDK
 * does with `dangerouslyAllowBrowser`. Its preflight is answered here, before the token is asked
 * for (a browser sends none with it), and every answer to it carries the headers that let the page
 * read it: JSON, errors and streams alike. Pages of other sites, not listed, are refused.
 */

import { ProxyError } from "../core/errors.ts";
import type { CorsConfig } from "../config/types.ts";
import { EXTENSION_SCHEMES } from "../config/cors.ts";
import { copyHeaders } from "../core/headers.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import { parseIpv4, parseIpv6 } from "../core/ip_address.ts";
import { errorResponse } from "./responses.ts";

/** Request headers the Anthropic SDKs and Claude Code send, besides the `x-stainless-*` ones. */
const ALLOWED_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "anthropic-auth-token",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "anthropic-version",
  "authorization",
  "content-type",
  "user-agent",
  "x-api-key",
  "x-claude-code-session-id",
]);
/** Answer headers a page may read: what the SDKs read (request id, retry advice) and the route. */
const EXPOSED = "request-id, retry-after, retry-after-ms, x-should-retry, x-ccp-route";
/** How long a browser may reuse a preflight's answer (Chromium keeps it 2 h at most). */
const MAX_AGE_S = "600";

/** True when `request` is a browser's CORS preflight. */
export function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("origin") &&
    request.headers.has("access-control-request-method");
}

/**
 * Whether a request whose `Origin` header says `origin` comes from a web page of another site that
 * `server.cors` does not list. A browser sends `Origin` with every cross-site POST, even the plain
 * ones it sends without a preflight (a text/plain body, no token header): without this check any
 * page the user opens could spend the provider keys of a ccp on their machine that has no token.
 * Let through as before: ccp's own pages (`/ui`) reached by address, pages served from this machine
 * (localhost), and apps whose origin is not a web one (app://, tauri://, vscode-webview://).
 * Browser extensions are refused like another site's pages: any the user installed could
 * otherwise call a ccp without a token, and one that should is listed by its origin.
 * Clients that send no `Origin` (Claude Code, the SDKs outside a browser, curl) never reach this.
 */
export function isForeignOrigin(
  origin: string,
  host: string,
  cors: CorsConfig | undefined,
): boolean {
  if (cors !== undefined && allows(cors, origin)) return false;
  // Sandboxed frames and `data:` pages say "null": any site can make one.
  if (origin === "null") return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return true;
  }
  if (EXTENSION_SCHEMES.has(url.protocol)) return true;
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (isLoopbackHost(url.hostname)) return false;
  // ccp's own page, reached by address: a host name could be an attacker's that now points here.
  return url.host !== host || !isIpAddress(url.hostname);
}

function isIpAddress(hostname: string): boolean {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  return parseIpv4(bare) !== undefined || parseIpv6(bare) !== undefined;
}

/** The answer to a page of an origin `server.cors` does not list: 403 naming the setting. */
export function refuseOrigin(origin: string): Response {
  const refusal = errorResponse(
    new ProxyError(
      "permission_error",
      `A web page of origin ${origin.slice(0, 200)} may not call ccp: ` +
        `add it to server.cors.origins`,
    ),
  );
  refusal.headers.set("vary", "Origin");
  return refusal;
}

/** The preflight's answer: 204 with what the page may send, or 403 for an origin not listed. */
export function preflight(cors: CorsConfig, request: Request): Response {
  const origin = request.headers.get("origin")!;
  if (!allows(cors, origin)) return refuseOrigin(origin);
  const asked = (request.headers.get("access-control-request-headers") ?? "").split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => ALLOWED_HEADERS.has(name) || name.startsWith("x-stainless-"));
  const headers = new Headers({
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, HEAD, POST",
    "access-control-max-age": MAX_AGE_S,
    vary: "Origin",
  });
  if (asked.length > 0) headers.set("access-control-allow-headers", asked.join(", "));
  // Chromium asks before a public page reaches a private address (a ccp on localhost).
  if (request.headers.get("access-control-request-private-network") === "true") {
    headers.set("access-control-allow-private-network", "true");
  }
  return new Response(null, { status: 204, headers });
}

/** `response` with the headers that let the page of `request`'s origin read it, if listed. */
export function withCors(cors: CorsConfig, request: Request, response: Response): Response {
  const origin = request.headers.get("origin");
  const add: Array<[string, string]> = [["vary", "Origin"]];
  if (origin !== null && allows(cors, origin)) {
    add.push(["access-control-allow-origin", origin], ["access-control-expose-headers", EXPOSED]);
  }
  try {
    for (const [name, value] of add) appendHeader(response.headers, name, value);
    return response;
  } catch {
    // A relayed answer's headers are fixed: the same body and status under copied headers.
    const headers = copyHeaders(response.headers);
    for (const [name, value] of add) appendHeader(headers, name, value);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}

function allows(cors: CorsConfig, origin: string): boolean {
  return cors.origins.includes(origin) || cors.origins.includes("*");
}

// `vary` may already name other headers; the others are set once.
function appendHeader(headers: Headers, name: string, value: string): void {
  if (name === "vary") {
    const held = headers.get("vary");
    if (held && held.toLowerCase().split(/\s*,\s*/).includes("origin")) return;
    headers.set("vary", held ? `${held}, ${value}` : value);
  } else headers.set(name, value);
}
