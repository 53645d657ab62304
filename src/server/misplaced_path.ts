/**
 * Advice for a path ccp does not serve: a client's base URL that carries an extra path, a page a
 * person typed by another name, or a client that took ccp for its HTTP proxy.
 */

import { ProxyError } from "../core/errors.ts";

const API_PATHS = ["/v1/messages/count_tokens", "/v1/messages", "/v1/models"];

/**
 * For `/v1/v1/messages` (ANTHROPIC_BASE_URL ending in `/v1`) and the like: what to set instead.
 * `origin` is ccp's address as the client reached it.
 */
export function misplacedPathAdvice(path: string, origin: string): string | undefined {
  const api = API_PATHS.find((known) => path.endsWith(known) && path !== known);
  if (api === undefined) return undefined;
  return `the client's base URL has an extra path: set ANTHROPIC_BASE_URL to ccp's address ` +
    `without /v1 or any other path, ANTHROPIC_BASE_URL=${origin} (Claude Code adds ${api} itself)`;
}

// What a person opening ccp in a browser (or with curl) may look for under another name.
const PAGES = ["/status", "/dashboard", "/stats", "/usage", "/admin"];

/** For a GET of a page ccp has under another name (`/status`): the pages it has. */
export function pageHint(method: string, path: string): string | undefined {
  if (method !== "GET" && method !== "HEAD") return undefined;
  const page = path.replace(/\/+$/, "").toLowerCase();
  if (!PAGES.includes(page)) return undefined;
  return "ccp's status page is GET /ui (GET /health and GET /metrics for a machine; " +
    "ccp usage for the usage ledger)";
}

// Anthropic APIs beside Messages that the SDKs call at the same base URL, by path prefix.
const OTHER_APIS: ReadonlyArray<readonly [string, string]> = [
  ["/v1/messages/batches", "the Message Batches API"],
  ["/v1/files", "the Files API"],
  ["/v1/complete", "the legacy Text Completions API"],
];

/**
 * For an Anthropic API ccp does not offer (an SDK's `messages.batches` or `beta.files`): that it
 * is not offered, and what is.
 */
export function apiHint(path: string): string | undefined {
  const api = OTHER_APIS.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
  if (api === undefined) return undefined;
  return `ccp does not offer ${api[1]}; it serves the Messages API (POST /v1/messages, ` +
    "POST /v1/messages/count_tokens) and GET /v1/models: send each request to POST /v1/messages";
}

/**
 * The answer to `CONNECT host:port`: a client that was given ccp's address as its HTTP proxy
 * (HTTPS_PROXY) asks it for a tunnel to the API it meant to reach.
 */
export function notAProxy(target: string): ProxyError {
  return new ProxyError(
    "invalid_request_error",
    `CONNECT ${target}: ccp is not an HTTP proxy and opens no tunnel; give a client ccp's ` +
      "address as its API's base URL (ANTHROPIC_BASE_URL for Claude Code and the Anthropic " +
      "SDKs), not as its HTTPS_PROXY",
    { status: 405, headers: { allow: "GET, HEAD, POST, OPTIONS" } },
  );
}
