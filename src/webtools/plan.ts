/** Whether ccp runs a request's web server tools: decided for every request, cheaply. */

import type { Config, ProviderConfig, WebToolsConfig } from "../config/types.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";
import { runsServerTools } from "../upstream/anthropic/real_anthropic.ts";
import { type OfferedWebTool, offeredWebTools, type WebToolKind } from "./tools.ts";

/** A request whose web server tools ccp takes over. */
export interface WebToolsPlan {
  readonly body: MessagesRequest;
  readonly offered: ReadonlyMap<WebToolKind, OfferedWebTool>;
  /** Absent: the tools are removed and the answer says web search is not configured. */
  readonly config?: WebToolsConfig;
  /**
   * How many of the route's first targets run the tools themselves (the real Anthropic API, a
   * gateway with `server_tools: true`): they are tried first, with the request as it came, and
   * the plan is for the rest of the route.
   */
  readonly relayed: number;
}

/**
 * The plan for a request, or undefined when ccp leaves its tools alone: it has no web server
 * tools, or every target of its route runs them itself.
 */
export function planWebTools(
  body: MessagesRequest,
  config: Config,
  chain: readonly { readonly provider: ProviderConfig }[],
): WebToolsPlan | undefined {
  const offered = offeredWebTools(body);
  if (offered.size === 0) return undefined;
  let relayed = 0;
  while (relayed < chain.length && runsServerTools(chain[relayed]!.provider)) relayed++;
  if (chain.length > 0 && relayed === chain.length) return undefined;
  return { body, offered, relayed, ...(config.webTools ? { config: config.webTools } : {}) };
}
