/**
 * Anthropic's web server tools in a request (`web_search_*`, `web_fetch_*`): which ones the client
 * offered with their limits, the functions ccp offers the model instead, and the request without them.
 */

import type { MessagesRequest, ToolChoice, ToolDefinition } from "../protocols/anthropic.ts";

/** The two server tools ccp can run. */
export type WebToolKind = "web_search" | "web_fetch";

/** One server tool as the client offered it. */
export interface OfferedWebTool {
  readonly kind: WebToolKind;
  /** At most this many calls in one request. */
  readonly maxUses: number;
  readonly allowedDomains?: readonly string[];
  readonly blockedDomains?: readonly string[];
}

/** Without `max_uses`, a request may run this many calls of each tool before the model must answer. */
const DEFAULT_MAX_USES = 5;

/** The web server tool a tool definition is, if any. */
function webToolKind(tool: ToolDefinition): WebToolKind | undefined {
  if (typeof tool.type !== "string") return undefined;
  if (tool.type.startsWith("web_search_")) return "web_search";
  if (tool.type.startsWith("web_fetch_")) return "web_fetch";
  return undefined;
}

/** The web server tools of a request, by kind (empty when it has none). */
export function offeredWebTools(body: MessagesRequest): Map<WebToolKind, OfferedWebTool> {
  const offered = new Map<WebToolKind, OfferedWebTool>();
  for (const tool of body.tools ?? []) {
    const kind = webToolKind(tool);
    if (!kind || offered.has(kind)) continue;
    const maxUses = typeof tool.max_uses === "number" && tool.max_uses >= 0
      ? Math.floor(tool.max_uses)
      : DEFAULT_MAX_USES;
    offered.set(kind, {
      kind,
      maxUses,
      ...(strings(tool.allowed_domains) ? { allowedDomains: strings(tool.allowed_domains) } : {}),
      ...(strings(tool.blocked_domains) ? { blockedDomains: strings(tool.blocked_domains) } : {}),
    });
  }
  return offered;
}

const FUNCTIONS: Readonly<Record<WebToolKind, ToolDefinition>> = {
  web_search: {
    name: "web_search",
    description: "Search the web. Returns the title, URL and a snippet of each result.",
    input_schema: {
      type: "object",
      properties: { query: { type: "string", description: "The search query" } },
      required: ["query"],
    },
  },
  web_fetch: {
    name: "web_fetch",
    description: "Fetch a web page by URL and return its text.",
    input_schema: {
      type: "object",
      properties: { url: { type: "string", description: "The http or https URL to fetch" } },
      required: ["url"],
    },
  },
};

/**
 * The request with its web server tools replaced by the given functions. A `tool_choice` that
 * forces a tool no longer offered (or forces any tool once the web tools are gone) becomes `auto`,
 * so that the model can answer.
 */
export function withWebFunctions(
  body: MessagesRequest,
  kinds: readonly WebToolKind[],
  forceAllowed: boolean,
): MessagesRequest {
  const tools = [
    ...(body.tools ?? []).filter((t) => webToolKind(t) === undefined),
    ...kinds.map((k) => FUNCTIONS[k]),
  ];
  const { tools: _tools, tool_choice: choice, ...rest } = body;
  const out: MessagesRequest = { ...rest };
  if (tools.length > 0) out.tools = tools;
  const kept = keptChoice(choice, tools, forceAllowed);
  if (kept && tools.length > 0) out.tool_choice = kept;
  return out;
}

function keptChoice(
  choice: ToolChoice | undefined,
  tools: readonly ToolDefinition[],
  forceAllowed: boolean,
): ToolChoice | undefined {
  if (!choice) return undefined;
  const parallel = choice.disable_parallel_tool_use;
  const auto: ToolChoice = {
    type: "auto",
    ...(parallel !== undefined ? { disable_parallel_tool_use: parallel } : {}),
  };
  if (choice.type === "tool") {
    const offered = tools.some((t) => t.name === choice.name);
    return offered && forceAllowed ? choice : auto;
  }
  if (choice.type === "any" && !forceAllowed) return auto;
  return choice;
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((v): v is string => typeof v === "string" && v !== "");
  return list.length > 0 ? list : undefined;
}
