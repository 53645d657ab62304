/**
 * Which tools sent with `defer_loading: true` are in the model's context. Anthropic keeps such a
 * tool out of the context until the conversation loads it: Claude Code defers its placeholder
 * ("never call this tool") and the tools ToolSearch loads (WebFetch, MCP tools, ...). Translated
 * requests offer a deferred tool only once loaded, and local token counts count only those.
 */

import type { MessagesRequest, ToolDefinition } from "./anthropic.ts";

/**
 * The tools a translated request offers the model: every tool not deferred, and each deferred one
 * the history references (a `tool_reference` block), calls, or `tool_choice` names. Deferred
 * schemas are context a small local model may not have.
 */
export function offeredTools(
  req: Pick<MessagesRequest, "tools" | "messages" | "tool_choice">,
): ToolDefinition[] | undefined {
  const tools = req.tools;
  if (!Array.isArray(tools) || !tools.some((t) => t.defer_loading === true)) return tools;
  const loaded = loadedToolNames(req.messages, req.tool_choice);
  return tools.filter((t) => t.defer_loading !== true || loaded.has(t.name ?? ""));
}

/** The names the history loads: referenced by `tool_reference`, called, or forced by `tool_choice`. */
export function loadedToolNames(messages: unknown, toolChoice: unknown): Set<string> {
  const names = new Set<string>();
  const choice = toolChoice as { type?: unknown; name?: unknown } | null | undefined;
  if (choice?.type === "tool" && typeof choice.name === "string") names.add(choice.name);
  const add = (block: unknown) => {
    if (typeof block !== "object" || block === null) return;
    const named = block as { type?: unknown; tool_name?: unknown; name?: unknown };
    const name = named.type === "tool_reference"
      ? named.tool_name
      : named.type === "tool_use"
      ? named.name
      : undefined;
    if (typeof name === "string") names.add(name);
  };
  if (!Array.isArray(messages)) return names;
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content) {
      add(block);
      const inner = block as { type?: unknown; content?: unknown } | null;
      if (inner?.type === "tool_result" && Array.isArray(inner.content)) inner.content.forEach(add);
    }
  }
  return names;
}
