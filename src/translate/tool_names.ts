/**
 * Tool names an upstream accepts. Claude Code names MCP tools `mcp__<server>__<tool>` and
 * never shortens them, so they can be longer, or hold other characters, than a function name
 * may be elsewhere. The rename is deterministic, so declarations and history agree without
 * state, and the answer's calls are mapped back to the client's names.
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

/** The name an OpenAI API sees for a client tool name (unchanged when already valid). */
export function openAIToolName(name: string): string {
  return fitToolName(name, OPENAI_TOOL_NAMES);
}

/** The name the upstream sees for a client tool name (unchanged when already valid). */
export function fitToolName(name: string, rule: ToolNameRule): string {
  let out = name.replace(rule.invalid, "_");
  if (rule.start && !rule.start.test(out)) out = `_${out}`;
  if (out.length > rule.maxLength) {
    // Keep a readable prefix; the hash of the original keeps distinct names distinct.
    out = `${out.slice(0, rule.maxLength - 17)}_${fnv1a64Hex(name)}`;
  }
  return out;
}

/** Upstream name → client name, for the tools whose names had to change. */
export function renamedToolNames(
  tools: readonly ToolDefinition[] | undefined,
  rule: ToolNameRule,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const tool of tools ?? []) {
    if (typeof tool.name !== "string") continue;
    const renamed = fitToolName(tool.name, rule);
    if (renamed !== tool.name) out.set(renamed, tool.name);
  }
  return out;
}
