/**
 * What the web search loop tests share: the client's web_search tool, web_tools pointed at a
 * search mock, the question they ask, and a POST to ccp's /v1/messages.
 */

import type { WebToolsConfig } from "../../src/config/types.ts";
import { postMessages } from "../helpers/ccp.ts";

export const SEARCH_TOOL = { type: "web_search_20250305", name: "web_search", max_uses: 3 };

export function webTools(searchUrl: string, allowPrivateNetworks = false): WebToolsConfig {
  return {
    search: { provider: "searxng", baseUrl: searchUrl },
    fetch: { allowPrivateNetworks, maxBytes: 1024 * 1024, timeoutMs: 10_000 },
  };
}

export function post(url: string, body: Record<string, unknown>): Promise<Response> {
  return postMessages(url, { model: "claude-sonnet-4-6", max_tokens: 1000, ...body });
}

export const QUESTION = [
  { role: "user", content: "Perform a web search for the query: moon distance" },
];
