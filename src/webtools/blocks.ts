/**
 * The content blocks a web tool call becomes: for the client, Anthropic's `server_tool_use` and
 * `web_search_tool_result` / `web_fetch_tool_result`; for the model, the text of a tool result.
 */

import { randomBase62 } from "../translate/anthropic/ids.ts";
import { encodeSnippet } from "../translate/anthropic/server_tools.ts";
import type { FetchOutcome } from "./fetch_page.ts";
import type { SearchOutcome } from "./search.ts";
import type { WebToolKind } from "./tools.ts";

/** An Anthropic content block ccp writes into the client's answer. */
export type ClientBlock = Record<string, unknown> & { type: string };

/** What one executed call produced. */
export type CallOutcome =
  | { readonly kind: "web_search"; readonly outcome: SearchOutcome }
  | { readonly kind: "web_fetch"; readonly outcome: FetchOutcome };

/** A fresh server-tool id in Anthropic's shape. */
export function newServerToolUseId(): string {
  return `srvtoolu_${randomBase62(24)}`;
}

/** The `server_tool_use` block announcing a call. */
export function serverToolUse(id: string, kind: WebToolKind, input: unknown): ClientBlock {
  return { type: "server_tool_use", id, name: kind, input };
}

/**
 * The result block of a call. A search result's `encrypted_content` is opaque to clients; ccp
 * puts the snippet there (base64) so that a later turn sent to any model can still show it.
 */
export function resultBlock(id: string, call: CallOutcome, retrievedAt: Date): ClientBlock {
  if (call.kind === "web_search") {
    const o = call.outcome;
    return {
      type: "web_search_tool_result",
      tool_use_id: id,
      content: o.ok
        ? o.hits.map((hit) => ({
          type: "web_search_result",
          url: hit.url,
          title: hit.title,
          encrypted_content: encodeSnippet(hit.snippet),
          page_age: hit.pageAge ?? null,
        }))
        : { type: "web_search_tool_result_error", error_code: o.code },
    };
  }
  const o = call.outcome;
  return {
    type: "web_fetch_tool_result",
    tool_use_id: id,
    content: o.ok
      ? {
        type: "web_fetch_result",
        url: o.page.url,
        content: {
          type: "document",
          source: { type: "text", media_type: "text/plain", data: o.page.text },
          ...(o.page.title ? { title: o.page.title } : {}),
        },
        retrieved_at: retrievedAt.toISOString(),
      }
      : { type: "web_fetch_tool_result_error", error_code: o.code },
  };
}

/** The tool result the model reads for a call. */
export function resultText(call: CallOutcome): string {
  const o = call.outcome;
  if (!o.ok) return `Error (${o.code}): ${o.detail}`;
  if (call.kind === "web_search") {
    const hits = (o as Extract<SearchOutcome, { ok: true }>).hits;
    if (hits.length === 0) return "No results.";
    return hits.map((hit, i) =>
      [
        `${i + 1}. ${hit.title}`,
        `URL: ${hit.url}`,
        hit.pageAge ? `Date: ${hit.pageAge}` : "",
        hit.snippet,
      ]
        .filter(Boolean).join("\n")
    ).join("\n\n");
  }
  const page = (o as Extract<FetchOutcome, { ok: true }>).page;
  const head = [page.title ? `Title: ${page.title}` : "", `URL: ${page.url}`].filter(Boolean);
  const cut = page.truncated ? "\n\n[the page was cut at the size limit]" : "";
  return `${head.join("\n")}\n\n${page.text}${cut}`;
}
