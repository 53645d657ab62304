/**
 * The web search backends, declared as data: where each one is asked, how, and where its answer
 * keeps the results. The code that calls them (`search.ts`) knows no backend by name.
 */

import { isRecord } from "../core/json.ts";
import type { WebSearchConfig } from "../config/types.ts";

/** One search result, whatever backend found it. */
export interface SearchHit {
  readonly url: string;
  readonly title: string;
  readonly snippet: string;
  /** When the page was published or last changed, as the backend words it. */
  readonly pageAge?: string;
}

/** What one search asks for. */
export interface SearchQuery {
  readonly query: string;
  readonly count: number;
  readonly allowedDomains?: readonly string[];
  readonly blockedDomains?: readonly string[];
}

/** How to ask one backend and read its answer. */
export interface SearchBackend {
  /** The API root used when the config names none. */
  readonly defaultBaseUrl?: string;
  /** The HTTP request for a query (the key is sent as the backend documents). */
  readonly request: (base: string, key: string | undefined, q: SearchQuery) => Request;
  /** The results of a 2xx JSON answer. */
  readonly results: (json: unknown) => SearchHit[];
  /**
   * Which redirects are followed: `same-origin` ones (a keyless, self-hosted backend behind a
   * reverse proxy that moves its paths), or none (a keyed API, which documents no redirect: one
   * would take the key header elsewhere). A redirect to another origin is never followed.
   */
  readonly redirects: "same-origin" | "none";
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

function hits(list: unknown, snippetKey: string, ageKeys: readonly string[]): SearchHit[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).flatMap((r) => {
    const url = str(r.url);
    if (!url) return [];
    const pageAge = ageKeys.map((k) => str(r[k])).find((v) => v !== undefined);
    return [{
      url,
      title: str(r.title) ?? url,
      snippet: str(r[snippetKey]) ?? "",
      ...(pageAge ? { pageAge } : {}),
    }];
  });
}

/** A domain as a `site:` operator takes it: `*.example.com` and `.example.com` name example.com. */
function bareDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\*?\./, "");
}

/**
 * The query with the tool's domain lists as search operators (`site:a OR site:b -site:c`), which
 * Brave and the engines behind SearXNG understand: asked this way, a search limited to one domain
 * gets that domain's pages, where filtering a general search afterwards usually leaves nothing.
 * Results are still filtered afterwards (an engine may ignore the operators). A query the
 * operators would push past `maxLength` goes without them.
 */
function withSiteOperators(q: SearchQuery, maxLength = Infinity): string {
  const allowed = (q.allowedDomains ?? []).map(bareDomain).filter((d) => d !== "");
  const blocked = (q.blockedDomains ?? []).map(bareDomain).filter((d) => d !== "");
  const operators = [
    ...(allowed.length > 0 ? [allowed.map((d) => `site:${d}`).join(" OR ")] : []),
    ...blocked.map((d) => `-site:${d}`),
  ];
  if (operators.length === 0) return q.query;
  const text = `${q.query} ${operators.join(" ")}`;
  return text.length <= maxLength ? text : q.query;
}

/** Brave refuses a query longer than this. */
const BRAVE_MAX_QUERY = 400;

/** Every backend `web_tools.search.provider` may name. */
export const SEARCH_BACKENDS: Readonly<Record<WebSearchConfig["provider"], SearchBackend>> = {
  // The SearXNG instance must allow the json format, or it answers 403. It has no domain
  // parameter: its engines read `site:` in the query.
  searxng: {
    request: (base, _key, q) =>
      new Request(
        `${base}/search?${new URLSearchParams({ q: withSiteOperators(q), format: "json" })}`,
        {
          headers: { accept: "application/json" },
        },
      ),
    results: (json) =>
      hits(isRecord(json) ? json.results : undefined, "content", ["publishedDate"]),
    redirects: "same-origin",
  },
  brave: {
    defaultBaseUrl: "https://api.search.brave.com/res/v1",
    request: (base, key, q) =>
      new Request(
        `${base}/web/search?${new URLSearchParams({
          q: withSiteOperators(q, BRAVE_MAX_QUERY),
          count: String(q.count),
        })}`,
        { headers: { accept: "application/json", "x-subscription-token": key ?? "" } },
      ),
    results: (json) => {
      const web = isRecord(json) && isRecord(json.web) ? json.web : undefined;
      return hits(web?.results, "description", ["page_age", "age"]);
    },
    redirects: "none",
  },
  tavily: {
    defaultBaseUrl: "https://api.tavily.com",
    request: (base, key, q) =>
      new Request(`${base}/search`, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          authorization: `Bearer ${key ?? ""}`,
        },
        body: JSON.stringify({
          query: q.query,
          max_results: q.count,
          ...(q.allowedDomains?.length ? { include_domains: q.allowedDomains } : {}),
          ...(q.blockedDomains?.length ? { exclude_domains: q.blockedDomains } : {}),
        }),
      }),
    results: (json) =>
      hits(isRecord(json) ? json.results : undefined, "content", ["published_date"]),
    redirects: "none",
  },
};
