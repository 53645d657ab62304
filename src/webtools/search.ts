/** Runs one `web_search` call against the configured backend; failures become Anthropic error codes. */

import type { WebSearchConfig } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import { readLimited } from "./fetch_page.ts";
import { SEARCH_BACKENDS, type SearchHit, type SearchQuery } from "./search_backends.ts";

/** A results page is tens of KB; a backend's answer is not read past this. */
const MAX_RESULTS_MIB = 8;
const MAX_RESULTS_BYTES = MAX_RESULTS_MIB * 1024 * 1024;
/** Redirects within a keyless backend's origin followed before giving up (a loop ends here). */
const MAX_REDIRECTS = 5;

/** Anthropic's error codes for a search that produced no results list. */
export type SearchErrorCode =
  | "invalid_tool_input"
  | "max_uses_exceeded"
  | "too_many_requests"
  | "unavailable";

/** The results of a search, or why there are none. */
export type SearchOutcome =
  | { readonly ok: true; readonly hits: readonly SearchHit[] }
  | { readonly ok: false; readonly code: SearchErrorCode; readonly detail: string };

/** What a search needs besides its query. */
export interface SearchDeps {
  readonly config: WebSearchConfig | undefined;
  readonly fetch: FetchLike;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Told when the configured backend fails: the client sees only an error code. */
  readonly log?: Logger;
}

/** Searches the web; results outside `allowedDomains` or inside `blockedDomains` are dropped. */
export async function searchWeb(q: SearchQuery, deps: SearchDeps): Promise<SearchOutcome> {
  const outcome = await askBackend(q, deps);
  // Claude Code shows its user no more than the code (`unavailable`), so what went wrong with the
  // backend is said where its operator looks.
  if (!outcome.ok && deps.config && outcome.code !== "invalid_tool_input") {
    deps.log?.warn(`Web search failed (${outcome.code}): ${originsOnly(outcome.detail)}`);
  }
  return outcome;
}

/** URLs cut to their origin: a search URL carries the user's query, and may carry a password. */
function originsOnly(text: string): string {
  return text.replace(
    /\bhttps?:\/\/[^\s)]+/g,
    (url) => URL.canParse(url) ? new URL(url).origin : "<url>",
  );
}

async function askBackend(q: SearchQuery, deps: SearchDeps): Promise<SearchOutcome> {
  if (q.query.trim() === "") return failure("invalid_tool_input", "the query is empty");
  const config = deps.config;
  if (!config) return failure("unavailable", "web_tools.search is not configured");
  const backend = SEARCH_BACKENDS[config.provider];
  const base = config.baseUrl ?? backend.defaultBaseUrl ?? "";
  const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(deps.timeoutMs)]);
  let response: Response;
  try {
    const sent = await send(backend.request(base, config.apiKey, q), config.provider, deps, signal);
    if (!(sent instanceof Response)) return sent;
    response = sent;
  } catch (err) {
    return failure("unavailable", `${config.provider} is unreachable: ${(err as Error).message}`);
  }
  if (response.status === 429) {
    await response.body?.cancel();
    return failure("too_many_requests", `${config.provider} answered 429`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    // SearXNG refuses JSON with a 403 until its settings.yml lists `json` under search.formats.
    const hint = config.provider === "searxng" && response.status === 403
      ? " (enable the json format in its settings.yml: search.formats)"
      : "";
    return failure("unavailable", `${config.provider} answered ${response.status}${hint}`);
  }
  let json: unknown;
  try {
    // A broken or hostile backend's endless answer (or one compressed to nothing) is not held.
    const { bytes, truncated } = await readLimited(response, MAX_RESULTS_BYTES);
    if (truncated) {
      return failure("unavailable", `${config.provider} answered more than ${MAX_RESULTS_MIB} MiB`);
    }
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return failure("unavailable", `${config.provider} answered with unreadable JSON`);
  }
  const found = backend.results(json).filter((hit) => domainAllowed(hit.url, q));
  return { ok: true, hits: found.slice(0, q.count) };
}

/**
 * The backend's answer, its redirects handled here: the runtime would follow one to any host with
 * every header but `Authorization`, so Brave's key header, or Tavily's query, would go wherever a
 * redirect pointed. A keyed backend's redirect is refused; a keyless one's is followed within its
 * origin, at most {@link MAX_REDIRECTS} times.
 */
async function send(
  request: Request,
  provider: WebSearchConfig["provider"],
  deps: SearchDeps,
  signal: AbortSignal,
): Promise<Response | SearchOutcome> {
  const backend = SEARCH_BACKENDS[provider];
  let current = request;
  for (let hop = 0;; hop++) {
    const response = await deps.fetch(new Request(current, { signal, redirect: "manual" }));
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return response;
    await response.body?.cancel();
    const from = new URL(current.url);
    const to = URL.parse(location, from);
    const said = `${provider} answered ${response.status} (a redirect${
      to ? ` to ${to.origin}` : ""
    })`;
    if (backend.redirects === "none") {
      return failure(
        "unavailable",
        `${said}: not followed, since ccp sends the ${provider} key to its base_url only; ` +
          "set base_url to the address the API is served at",
      );
    }
    if (!to || to.origin !== from.origin || current.method !== "GET") {
      return failure(
        "unavailable",
        `${said}: not followed, since ccp sends searches to base_url's origin only; ` +
          "set base_url to the address the instance is served at",
      );
    }
    if (hop === MAX_REDIRECTS) {
      return failure("unavailable", `${provider} redirected more than ${MAX_REDIRECTS} times`);
    }
    current = new Request(to, { headers: current.headers });
  }
}

/** True when the URL's host passes the tool's allowed/blocked domain lists (subdomains included). */
export function domainAllowed(
  url: string,
  lists: Pick<SearchQuery, "allowedDomains" | "blockedDomains">,
): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  const matches = (domain: string) => {
    const d = domain.toLowerCase().replace(/^\*?\./, "");
    return host === d || host.endsWith(`.${d}`);
  };
  if (lists.blockedDomains?.some(matches)) return false;
  return !lists.allowedDomains?.length || lists.allowedDomains.some(matches);
}

function failure(code: SearchErrorCode, detail: string): SearchOutcome {
  return { ok: false, code, detail };
}
