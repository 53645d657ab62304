/** Tool rules: server tools and tool-definition fields an endpoint does not accept. */

import { dropKey, editBlocks } from "./blocks.ts";
import { type Body, type BodyRule, type Obj, without } from "./types.ts";
import { isRecord } from "../../core/json.ts";
import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { definedToolAsCustom } from "../../translate/anthropic/defined_tools.ts";
import { serverToolBlockText } from "../../translate/anthropic/server_tools.ts";
import { withoutKeywords } from "../../core/schema_keywords.ts";

/** Client tools have no `type` or `type: "custom"`; anything else runs on Anthropic's servers. */
function isServerTool(tool: unknown): boolean {
  return isRecord(tool) && typeof tool.type === "string" && tool.type !== "custom";
}

/**
 * History blocks a server tool leaves behind (`server_tool_use`, `web_search_tool_result`, the
 * MCP connector's `mcp_tool_use`, a `container_upload`, ...).
 */
function isServerToolBlock(block: Obj): boolean {
  const type = String(block.type);
  return type === "server_tool_use" || type === "mcp_tool_use" || type === "container_upload" ||
    (type.endsWith("_tool_result") && type !== "tool_result");
}

/** The text block standing for a server-tool block: the model still reads what the tool did. */
function asText(block: Obj): Obj | null {
  const text = serverToolBlockText(block);
  return text ? { type: "text", text } : null;
}

function choiceStillValid(body: Body, kept: readonly unknown[]): boolean {
  const choice = body.tool_choice;
  if (!isRecord(choice) || choice.type !== "tool") return true;
  return kept.some((tool) => isRecord(tool) && tool.name === choice.name);
}

/**
 * `body` without the tools `drop` picks, and without a `tool_choice` that names one; of those,
 * the tools Anthropic defines for the client to run (bash, text editor, memory, computer) stay
 * as ordinary tools with their documented inputs. `tools` left empty is removed.
 */
export function withoutToolsWhere(body: Body, drop: (tool: unknown) => boolean): Body {
  const tools = body.tools;
  if (!Array.isArray(tools) || !tools.some(drop)) return body;
  const kept = tools.flatMap((tool) => {
    if (!drop(tool)) return [tool];
    const custom = definedToolAsCustom(tool as ToolDefinition);
    return custom ? [custom] : [];
  });
  if (kept.length === 0) return without(body, ["tools", "tool_choice"]);
  const out = { ...body, tools: kept };
  return choiceStillValid(out, kept) ? out : without(out, ["tool_choice"]);
}

/**
 * Removes server tools (web search, code execution, ...) from `tools` (see
 * {@link withoutToolsWhere}). The server-tool blocks left in the history become text.
 */
export function dropServerTools(body: Body): Body {
  const out = editBlocks(body, (block) => (isServerToolBlock(block) ? asText(block) : block));
  return withoutToolsWhere(out, isServerTool);
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

/** Removes JSON Schema keywords (not properties so named) from every tool's `input_schema`. */
export function dropSchemaKeywords(keywords: readonly string[]): BodyRule {
  const strip = (tool: unknown): unknown => {
    if (!isRecord(tool) || !isRecord(tool.input_schema)) return tool;
    const schema = withoutKeywords(tool.input_schema, keywords);
    return schema === tool.input_schema ? tool : { ...tool, input_schema: schema };
  };
  return (body) => {
    const tools = body.tools;
    if (!Array.isArray(tools)) return body;
    const out = tools.map(strip);
    return out.every((tool, i) => tool === tools[i]) ? body : { ...body, tools: out };
  };
}
