/**
 * Tool names an upstream accepts. Claude Code names MCP tools `mcp__<server>__<tool>` and
 * never shortens them, so they can be longer, or hold other characters, than a function name
 * may be elsewhere. The rename depends on the request's declared tools alone, so declarations
 * and history agree without state, and the answer's calls are mapped back to the client's names.
 */

import type { ToolDefinition } from "../protocols/anthropic.ts";
import { fnv1a64Hex } from "./anthropic/ids.ts";

/** What one wire allows in a function name. */
export interface ToolNameRule {
  /** Matches every character the wire refuses (global). */
  readonly invalid: RegExp;
  /** The first character must match this, when set. */
  readonly start?: RegExp;
  readonly maxLength: number;
}

/** OpenAI's Chat Completions and Responses: `^[a-zA-Z0-9_-]{1,64}$`. */
export const OPENAI_TOOL_NAMES: ToolNameRule = { invalid: /[^A-Za-z0-9_-]/g, maxLength: 64 };

/** Client tools have an input schema; server tools (`web_search_*`, `bash_*`, ...) do not. */
export function isFunctionTool(tool: ToolDefinition): tool is ToolDefinition & { name: string } {
  return (tool.type === undefined || tool.type === "custom") && typeof tool.name === "string";
}

/** Client tool name -> the name the upstream sees, for one request. */
export type ToolNamer = (name: string) => string;

/** The name the upstream sees for a client tool name, alone (unchanged when already valid). */
function fitToolName(name: string, rule: ToolNameRule): string {
  let out = name.replace(rule.invalid, "_");
  if (rule.start && !rule.start.test(out)) out = `_${out}`;
  return out.length > rule.maxLength ? withHash(out, name, rule) : out;
}

// A readable prefix; the hash of the client's name keeps distinct names distinct.
function withHash(fitted: string, name: string, rule: ToolNameRule): string {
  return `${fitted.slice(0, rule.maxLength - 17)}_${fnv1a64Hex(name)}`;
}

/**
 * The names one request's tools reach the upstream under. Each name is fitted alone, except where
 * two client names would fit to one (`a.b` and `a_b`): the upstream would see a function twice
 * and every call would map back to one of them, so each renamed one of them gets the hash of its
 * own name, and a name already valid stays as it is. It depends on the declared tools only, never
 * on their order: every turn of a conversation with the same tools names them the same way, and
 * a prompt cache upstream keeps matching. Names the history uses but no tool declares (a tool
 * gone since) are fitted the same way against the declared ones, and give way to them: such a
 * name, valid or not, never reaches the upstream as a declared tool's.
 */
export function toolNamer(
  tools: readonly ToolDefinition[] | undefined,
  rule: ToolNameRule,
): ToolNamer {
  // Fitted name -> the one client name fitting to it, or null when several do.
  const owners = new Map<string, string | null>();
  for (const tool of tools ?? []) {
    if (typeof tool.name !== "string") continue;
    const fitted = fitToolName(tool.name, rule);
    const owner = owners.get(fitted);
    if (owner === undefined) owners.set(fitted, tool.name);
    else if (owner !== tool.name) owners.set(fitted, null);
  }
  return (name) => {
    const fitted = fitToolName(name, rule);
    const owner = owners.get(fitted);
    // A valid name stays, unless one declared tool (not this one) reaches the upstream under it:
    // then this is a tool the history names and no tool declares any more (a declared tool of
    // this name would have made the owner null), and it gives way.
    if (fitted === name) {
      return typeof owner === "string" && owner !== name ? withHash(name, name, rule) : name;
    }
    return owner === undefined || owner === name ? fitted : withHash(fitted, name, rule);
  };
}

/** Upstream name -> client name, for the tools whose names had to change. */
export function renamedToolNames(
  tools: readonly ToolDefinition[] | undefined,
  rule: ToolNameRule,
): Map<string, string> {
  const out = new Map<string, string>();
  const upstream = toolNamer(tools, rule);
  for (const tool of tools ?? []) {
    if (typeof tool.name !== "string") continue;
    const renamed = upstream(tool.name);
    if (renamed !== tool.name) out.set(renamed, tool.name);
  }
  return out;
}
