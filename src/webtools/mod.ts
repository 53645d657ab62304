/**
 * Web search and fetch for every model: when a request carries Anthropic's web server tools and
 * its route does not lead to the real Anthropic API (which runs them itself), ccp runs them.
 * Loaded on the first such request (plan.ts decides, for every request, whether one is).
 */

import type { Logger } from "../core/log.ts";
import type { AnthropicStreamEvent, MessagesRequest } from "../protocols/anthropic.ts";
import { environmentFetch, type FetchLike, routeFor } from "../upstream/http/clients.ts";
import type { Answer, AnswerHooks } from "../upstream/transport.ts";
import { openWebAnswer } from "./answer.ts";
import { type FetchErrorCode, type FetchOutcome, fetchPage, type Resolver } from "./fetch_page.ts";
import { WebToolLoop } from "./loop.ts";
import { domainAllowed, searchWeb } from "./search.ts";
import type { WebToolsPlan } from "./plan.ts";

/** What running the plan needs from the pipeline. */
export interface WebToolsDeps {
  /** One model round through the route's chain, as Anthropic stream events. */
  readonly send: (body: MessagesRequest) => AsyncIterable<AnthropicStreamEvent>;
  readonly fetch: FetchLike;
  readonly signal: AbortSignal;
  readonly hooks: AnswerHooks;
  readonly log: Logger;
  readonly resolve?: Resolver;
  readonly now?: () => Date;
}

/** The text added to an answer when the client offered web tools that ccp cannot run. */
const NOT_CONFIGURED_NOTICE =
  "Web search is not configured in ccp, so no web search or fetch was run for this answer. " +
  "To enable it, add a web_tools section (a SearXNG, Brave or Tavily backend) to ccp's config.";

/** A search backend that has not answered after this long is reported `unavailable`. */
const SEARCH_TIMEOUT_MS = 20_000;

export { roundEvents } from "./round.ts";

/** Runs the loop and opens the client's answer. */
export function runWebTools(plan: WebToolsPlan, deps: WebToolsDeps): Promise<Answer> {
  const config = plan.config;
  // A search backend on this machine (SearXNG on localhost) is reached directly, not through an
  // HTTP_PROXY that cannot reach it; the rest goes as the environment's proxies say.
  const fetch = environmentFetch(deps.fetch);
  const loop = new WebToolLoop(
    plan.body,
    plan.offered,
    {
      send: deps.send,
      search: (query) =>
        searchWeb(query, {
          config: config?.search,
          fetch,
          signal: deps.signal,
          timeoutMs: SEARCH_TIMEOUT_MS,
          log: deps.log,
        }),
      fetchPage: (url, tool) => {
        if (!config) return Promise.resolve(refused("unavailable", "web_tools is not configured"));
        if (URL.canParse(url) && !domainAllowed(url, tool)) {
          return Promise.resolve(refused(
            "url_not_allowed",
            "the domain is outside the tool's allowed_domains or in its blocked_domains",
          ));
        }
        return fetchPage(url, {
          config: config.fetch,
          fetch,
          signal: deps.signal,
          ...(deps.resolve ? { resolve: deps.resolve } : {}),
          // A page inside the tool's domains may redirect outside them: every hop is asked.
          allowUrl: (next) => domainAllowed(next, tool),
          proxied: (target) => routeFor(undefined, target).proxy !== undefined,
        });
      },
      now: deps.now ?? (() => new Date()),
    },
    config ? undefined : NOT_CONFIGURED_NOTICE,
  );
  return openWebAnswer(loop, {
    clientModel: plan.body.model,
    stream: plan.body.stream === true,
    hooks: deps.hooks,
  });
}

function refused(code: FetchErrorCode, detail: string): FetchOutcome {
  return { ok: false, code, detail };
}
