/**
 * Anthropic server-tool blocks from earlier turns (`server_tool_use`, `web_search_tool_result`,
 * `web_fetch_tool_result`) as text, for protocols that have no such blocks: the model still sees
 * what was searched and found. Search snippets are readable only when ccp ran the search (it
 * stores them base64 in `encrypted_content`); Anthropic's own are encrypted and leave the title
 * and URL.
 */

import { isRecord } from "../../core/json.ts";

const SNIPPET_PREFIX = "ccp1:";

/** A search snippet stored in a result's `encrypted_content`. */
export function encodeSnippet(snippet: string): string {
  const bytes = new TextEncoder().encode(snippet);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return SNIPPET_PREFIX + btoa(binary);
}

/** The snippet ccp stored in `encrypted_content`, or undefined for any other value. */
function decodeSnippet(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.startsWith(SNIPPET_PREFIX)) return undefined;
  try {
    const binary = atob(value.slice(SNIPPET_PREFIX.length));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** The text standing for a web server-tool block, or undefined when `block` is none. */
export function serverToolBlockText(block: unknown): string | undefined {
  if (!isRecord(block)) return undefined;
  switch (block.type) {
    case "server_tool_use":
      return `[${String(block.name)} ${JSON.stringify(block.input ?? {})}]`;
    case "web_search_tool_result":
      return searchText(block.content);
    case "web_fetch_tool_result":
      return fetchText(block.content);
    default:
      return undefined;
  }
}

function searchText(content: unknown): string {
  if (!Array.isArray(content)) return `[web_search error: ${errorCode(content)}]`;
  const lines = content.filter(isRecord).map((r, i) => {
    const snippet = decodeSnippet(r.encrypted_content);
    return [`${i + 1}. ${String(r.title ?? r.url)}`, `URL: ${String(r.url)}`, snippet ?? ""]
      .filter(Boolean).join("\n");
  });
  return lines.length ? `[web_search results]\n${lines.join("\n\n")}` : "[web_search: no results]";
}

function fetchText(content: unknown): string {
  if (!isRecord(content) || content.type !== "web_fetch_result") {
    return `[web_fetch error: ${errorCode(content)}]`;
  }
  const doc = isRecord(content.content) ? content.content : {};
  const source = isRecord(doc.source) ? doc.source : {};
  const data = source.type === "text" && typeof source.data === "string"
    ? source.data
    : "(binary document not shown)";
  const title = typeof doc.title === "string" ? `Title: ${doc.title}\n` : "";
  return `[web_fetch result]\n${title}URL: ${String(content.url)}\n\n${data}`;
}

function errorCode(content: unknown): string {
  return isRecord(content) && typeof content.error_code === "string"
    ? content.error_code
    : "unknown";
}
