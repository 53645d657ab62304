/** Tool rules: server tools and tool-definition fields an endpoint does not accept. */

import { dropKey, editBlocks } from "./blocks.ts";
import { type Body, type BodyRule, type Obj, without } from "./types.ts";
import { isRecord } from "../../core/json.ts";

/** Client tools have no `type` or `type: "custom"`; anything else runs on Anthropic's servers. */
function isServerTool(tool: unknown): boolean {
  return isRecord(tool) && typeof tool.type === "string" && tool.type !== "custom";
}

/**
 * History blocks a server tool leaves behind (`server_tool_use`, `web_search_tool_result`, ...).
 */
function isServerToolBlock(block: Obj): boolean {
  const type = String(block.type);
  return type === "server_tool_use" ||
    (type.endsWith("_tool_result") && type !== "tool_result");
}

function choiceStillValid(body: Body, kept: readonly unknown[]): boolean {
  const choice = body.tool_choice;
  if (!isRecord(choice) || choice.type !== "tool") return true;
  return kept.some((tool) => isRecord(tool) && tool.name === choice.name);
}

/**
 * Removes server tools (web search, code execution, ...) from `tools`, a `tool_choice` that names
 * one, and the server-tool blocks they left in the history; `tools` left empty is removed.
 */
export function dropServerTools(body: Body): Body {
  let out = editBlocks(body, (block) => (isServerToolBlock(block) ? null : block));
  const tools = out.tools;
  if (!Array.isArray(tools) || !tools.some(isServerTool)) return out;
  const kept = tools.filter((tool) => !isServerTool(tool));
  out = kept.length > 0 ? { ...out, tools: kept } : without(out, ["tools", "tool_choice"]);
  return choiceStillValid(out, kept) ? out : without(out, ["tool_choice"]);
}

/** Removes the named fields from every tool definition (e.g. `eager_input_streaming`). */
export function dropToolFields(fields: readonly string[]): BodyRule {
  const strip = (tool: unknown): unknown =>
    isRecord(tool) ? fields.reduce((current, field) => dropKey(current, field), tool) : tool;
  return (body) => {
    const tools = body.tools;
    if (!Array.isArray(tools)) return body;
    const out = tools.map(strip);
    return out.every((tool, i) => tool === tools[i]) ? body : { ...body, tools: out };
  };
}
