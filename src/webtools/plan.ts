/** Whether ccp runs a request's web server tools: decided for every request, cheaply. */

import type { Config, ProviderConfig, WebToolsConfig } from "../config/types.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";
import { verifiesSignatures } from "../upstream/anthropic/real_anthropic.ts";
import { type OfferedWebTool, offeredWebTools, type WebToolKind } from "./tools.ts";

/** A request whose web server tools ccp takes over. */
export interface WebToolsPlan {
  readonly body: MessagesRequest;
  readonly offered: ReadonlyMap<WebToolKind, OfferedWebTool>;
  /** Absent: the tools are removed and the answer says web search is not configured. */
  readonly config?: WebToolsConfig;
}

/**
 * The plan for a request, or undefined when ccp leaves its tools alone: it has no web server
 * tools, or its route's first target is the real Anthropic API.
 */
export function planWebTools(
  body: MessagesRequest,
  config: Config,
  first: ProviderConfig | undefined,
): WebToolsPlan | undefined {
  const offered = offeredWebTools(body);
  if (offered.size === 0) return undefined;
  if (first?.type === "anthropic" && verifiesSignatures(first)) return undefined;
  return { body, offered, ...(config.webTools ? { config: config.webTools } : {}) };
}
