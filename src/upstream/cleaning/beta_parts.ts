/**
 * What a beta brings into the body besides its `anthropic-beta` value: top-level fields, tools of
 * its types, and the blocks those tools leave in the history. An endpoint that does not take the
 * beta refuses them too ("mcp_servers: Extra inputs are not permitted", an unknown tool type), so
 * when the beta goes they go with it: fields are removed, a tool Anthropic defines for the client
 * to run (the memory tool) becomes an ordinary tool with its documented inputs, any other tool of
 * the beta is removed, and its blocks in the history become text the model can still read.
 */

import { isRecord, ownValue } from "../../core/json.ts";
import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { definedToolAsCustom } from "../../translate/anthropic/defined_tools.ts";
import { serverToolBlockText } from "../../translate/anthropic/server_tools.ts";
import { editBlocks } from "./blocks.ts";
import { type Body, type Obj, without } from "./types.ts";

/** The parts of one beta. */
interface BetaParts {
  readonly fields: readonly string[];
  readonly tools?: readonly string[];
  readonly blocks?: readonly string[];
}

// The MCP connector's calls and results, left in the assistant's turns.
const MCP_BLOCKS = ["mcp_tool_use", "mcp_tool_result"];
// From the 2025-11-20 version on, which tools of a server are offered is an `mcp_toolset` tool.
const MCP_TOOLSET: BetaParts = {
  fields: ["mcp_servers"],
  tools: ["mcp_toolset"],
  blocks: MCP_BLOCKS,
};

const PARTS_OF_BETA: Readonly<Record<string, BetaParts>> = {
  // Context editing, and the memory tool that is enabled with the same beta.
  "context-management-2025-06-27": { fields: ["context_management"], tools: ["memory_20250818"] },
  "mcp-client-2025-04-04": { fields: ["mcp_servers"], blocks: MCP_BLOCKS },
  "mcp-client-2025-11-20": MCP_TOOLSET,
  "mcp-client-2026-09-15": MCP_TOOLSET,
};

/** Whether `beta` brings anything into the body. */
export function hasParts(beta: string): boolean {
  return Object.hasOwn(PARTS_OF_BETA, beta);
}

/** The body fields that need one of `betas`. */
export function fieldsNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) => ownValue(PARTS_OF_BETA, beta)?.fields ?? []);
}

/** The tool types that need one of `betas`. */
export function toolsNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) => ownValue(PARTS_OF_BETA, beta)?.tools ?? []);
}

/**
 * Which of `sent` a refusal of `part` stands for: the betas that bring that field or tool type
 * (an endpoint that refuses `mcp_servers` does not take the MCP connector's beta either).
 */
export function betasBringing(part: string, sent: readonly string[]): string[] {
  return sent.filter((beta) => {
    const parts = ownValue(PARTS_OF_BETA, beta);
    return parts !== undefined && (parts.fields.includes(part) || !!parts.tools?.includes(part));
  });
}

/** `body` without what `betas` bring (see above); the same body when it has none of it. */
export function withoutBetaParts(body: Body, betas: Iterable<string>): Body {
  const fields: string[] = [];
  const tools = new Set<string>();
  const blocks = new Set<string>();
  for (const beta of betas) {
    const parts = ownValue(PARTS_OF_BETA, beta);
    if (!parts) continue;
    fields.push(...parts.fields);
    for (const type of parts.tools ?? []) tools.add(type);
    for (const type of parts.blocks ?? []) blocks.add(type);
  }
  let out = without(body, fields);
  if (tools.size > 0) out = withoutTools(out, tools);
  if (blocks.size > 0) {
    out = editBlocks(out, (block) => blocks.has(String(block.type)) ? asText(block) : block);
  }
  return out;
}

function withoutTools(body: Body, types: ReadonlySet<string>): Body {
  const tools = body.tools;
  const ofBeta = (tool: unknown) => isRecord(tool) && types.has(String(tool.type));
  if (!Array.isArray(tools) || !tools.some(ofBeta)) return body;
  const kept = tools.flatMap((tool) => {
    if (!ofBeta(tool)) return [tool];
    const custom = definedToolAsCustom(tool as ToolDefinition);
    return custom ? [custom] : [];
  });
  if (kept.length === 0) return without(body, ["tools", "tool_choice"]);
  const choice = body.tool_choice;
  // A choice that named a tool now gone would be refused in turn.
  const named = isRecord(choice) && choice.type === "tool" &&
    !kept.some((tool) => isRecord(tool) && tool.name === choice.name);
  return named ? without({ ...body, tools: kept }, ["tool_choice"]) : { ...body, tools: kept };
}

/** The text block standing for a beta's block: the model still reads what its tool did. */
function asText(block: Obj): Obj | null {
  const text = serverToolBlockText(block);
  return text ? { type: "text", text } : null;
}
