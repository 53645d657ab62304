/**
 * Blocks of tools Anthropic runs, from earlier turns (`server_tool_use`, web search and fetch
 * results, code execution and tool search results, `mcp_tool_use` / `mcp_tool_result` of the MCP
 * connector, a `container_upload`), as text, for protocols that have no such blocks: a session
 * that moves off Anthropic keeps what those tools did. Search snippets are readable only when ccp
 * ran the search (it stores them base64 in `encrypted_content`); Anthropic's own are encrypted and
 * leave the title and URL.
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
    case "mcp_tool_use":
      return `[${String(block.server_name)} ${String(block.name)} ${
        JSON.stringify(block.input ?? {})
      }]`;
    case "mcp_tool_result":
      return `[${block.is_error === true ? "tool error" : "tool result"}]\n${
        blocksText(block.content)
      }`;
    case "container_upload":
      return `[file ${String(block.file_id)} uploaded to the code execution container]`;
    default:
      // Code execution, tool search and later server tools: every result block ends so.
      return typeof block.type === "string" && block.type.endsWith("_tool_result")
        ? executionText(block.type, block.content)
        : undefined;
  }
}

function blocksText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.filter(isRecord).map((b) => b.type === "text" ? String(b.text) : JSON.stringify(b))
    .join("\n");
}

function executionText(type: string, content: unknown): string {
  if (!isRecord(content)) return `[${type}]`;
  if (typeof content.error_code === "string") return `[${type} error: ${content.error_code}]`;
  if ("stdout" in content || "stderr" in content) {
    const out = typeof content.stdout === "string" && content.stdout ? `\n${content.stdout}` : "";
    const err = typeof content.stderr === "string" && content.stderr
      ? `\nstderr:\n${content.stderr}`
      : "";
    return `[${type}: exit code ${String(content.return_code ?? "unknown")}]${out}${err}`;
  }
  const { type: _kind, ...rest } = content;
  return `[${type}] ${JSON.stringify(rest)}`;
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
