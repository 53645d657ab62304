/**
 * `tool_reference` blocks (the `advanced-tool-use-2025-11-20` beta Claude Code sends): its
 * ToolSearch tool answers with `{"type":"tool_reference","tool_name":"WebFetch"}` inside a
 * `tool_result`, and Anthropic expands each into the named tool's definition (a tool sent with
 * `defer_loading: true`). Other APIs have no such block, and ccp already offers every tool of the
 * request as a function, so the reference becomes a line of text saying the tool is loaded; without
 * it the model read an empty result and took the search to have found nothing.
 */

import type { MessagesRequest, ToolDefinition } from "../../protocols/anthropic.ts";

/**
 * The text standing in for a `tool_reference` block, or undefined for any other block. It names
 * the tool as the upstream was offered it (`upstreamName`: the wire's renaming of a long MCP name),
 * so the model calls the function it can see.
 */
export function toolReferenceText(
  block: { type: string },
  upstreamName: (name: string) => string,
): string | undefined {
  if (block.type !== "tool_reference") return undefined;
  const name = (block as { tool_name?: unknown }).tool_name;
  if (typeof name !== "string" || name === "") return undefined;
  return `Tool "${upstreamName(name)}" loaded: it is now available to call.`;
}

/**
 * The tools a translated request offers the model. Anthropic keeps a tool sent with
 * `defer_loading: true` out of the model's context until a `tool_reference` names it; Claude Code
 * defers its placeholder ("never call this tool") and tools ToolSearch loads (WebFetch, …), and
 * any deferred schemas are context a small local model may not have. So a deferred tool is offered
 * only once the history references it (or calls it, or `tool_choice` names it).
 */
export function offeredTools(
  req: Pick<MessagesRequest, "tools" | "messages" | "tool_choice">,
): ToolDefinition[] | undefined {
  const tools = req.tools;
  if (!Array.isArray(tools) || !tools.some((t) => t.defer_loading === true)) return tools;
  const loaded = loadedNames(req);
  return tools.filter((t) => t.defer_loading !== true || loaded.has(t.name));
}

function loadedNames(req: Pick<MessagesRequest, "messages" | "tool_choice">): Set<string> {
  const names = new Set<string>();
  if (req.tool_choice?.type === "tool" && typeof req.tool_choice.name === "string") {
    names.add(req.tool_choice.name);
  }
  const add = (block: { type: string }) => {
    const named = block as { tool_name?: unknown; name?: unknown };
    const name = block.type === "tool_reference"
      ? named.tool_name
      : block.type === "tool_use"
      ? named.name
      : undefined;
    if (typeof name === "string") names.add(name);
  };
  for (const message of req.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content) {
      add(block);
      if (block.type === "tool_result" && Array.isArray(block.content)) block.content.forEach(add);
    }
  }
  return names;
}
