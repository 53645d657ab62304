/**
 * `search_result` blocks (a client's own search or RAG results, given at the top of a user turn
 * or inside a `tool_result`, which Anthropic cites from) as text, for protocols that have no such
 * block: without it the model never saw what the search found.
 */

import { isRecord } from "../../core/json.ts";

/** The text standing for a `search_result` block, or undefined for any other block. */
export function searchResultText(block: { type: string }): string | undefined {
  if (block.type !== "search_result") return undefined;
  const b = block as Record<string, unknown>;
  const texts = Array.isArray(b.content)
    ? b.content.filter(isRecord).map((p) => (p.type === "text" ? p.text : undefined))
      .filter((t): t is string => typeof t === "string" && t !== "")
    : [];
  const title = typeof b.title === "string" && b.title ? b.title : "untitled";
  const source = typeof b.source === "string" && b.source ? `\nSource: ${b.source}` : "";
  return `[search result: ${title}]${source}\n${texts.join("\n")}`;
}
