/**
 * `tool_reference` blocks (the `advanced-tool-use-2025-11-20` beta Claude Code sends): its
 * ToolSearch tool answers with `{"type":"tool_reference","tool_name":"WebFetch"}` inside a
 * `tool_result`, and Anthropic expands each into the named tool's definition (a tool sent with
 * `defer_loading: true`). Other APIs have no such block, and ccp offers the referenced tool as a
 * function (see protocols/deferred_tools.ts), so the reference becomes a line of text saying the
 * tool is loaded; without it the model read an empty result and took the search to have found
 * nothing.
 */
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
