/**
 * Claude Code's deferred tools, for an Anthropic-compatible endpoint that does not implement
 * deferral: tools sent with `defer_loading: true` stay out of the model's context until ToolSearch
 * loads them with a `tool_reference` block in its result, and only Anthropic expands those. Sent
 * as they are, such an endpoint refuses the request (Moonshot's 400 "Invalid request Error"),
 * offers every deferred tool in full (Claude Code's "never call this tool" placeholder among
 * them), or drops the reference, and the model reads an empty search result and takes the tool to
 * be missing (GLM). So ccp does here what it does for translated requests: a deferred tool is
 * offered once the history loads it, without the flag, and each reference becomes a line saying
 * the tool is loaded.
 */

import { loadedToolNames } from "../../protocols/deferred_tools.ts";
import { isRecord } from "../../core/json.ts";
import { toolReferenceText } from "../../translate/anthropic/tool_reference.ts";
import { dropKey, editBlocks, editContent } from "./blocks.ts";
import { type Body, type Obj, without } from "./types.ts";

const sameName = (name: string) => name;

/** A `tool_reference` as the text block standing in for it; other blocks as they are. */
function referenceAsText(block: Obj): Obj {
  const text = toolReferenceText(block as { type: string }, sameName);
  return text === undefined ? block : { type: "text", text };
}

/** `tool_reference` blocks, wherever Claude Code puts them (inside a `tool_result`), as text. */
function referencesAsText(body: Body): Body {
  return editBlocks(body, (block) => {
    if (block.type === "tool_reference") return referenceAsText(block);
    if (block.type !== "tool_result" || !Array.isArray(block.content)) return block;
    const content = editContent(block.content, "user", referenceAsText);
    return content === block.content ? block : { ...block, content };
  });
}

/** The deferred tools the history has loaded, without the flag; the rest left out. */
function loadedTools(body: Body): Body {
  const tools = body.tools;
  if (!Array.isArray(tools) || !tools.some((t) => isRecord(t) && t.defer_loading === true)) {
    return body;
  }
  const loaded = loadedToolNames(body.messages, body.tool_choice);
  const kept = tools.flatMap((tool) => {
    if (!isRecord(tool) || tool.defer_loading === undefined) return [tool];
    if (tool.defer_loading === true && !loaded.has(String(tool.name))) return [];
    return [dropKey(tool, "defer_loading")];
  });
  return kept.length > 0 ? { ...body, tools: kept } : without(body, ["tools", "tool_choice"]);
}

/** The body rule: loaded deferred tools only, and their references as text. */
export function resolveDeferredTools(body: Body): Body {
  return referencesAsText(loadedTools(body));
}
