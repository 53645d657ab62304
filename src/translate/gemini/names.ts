/**
 * Tool names Gemini accepts: letters, digits, underscores, colons, dots and dashes, starting with
 * a letter or an underscore, at most 64 characters. MCP tools can break each rule.
 */

import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { fitToolName, renamedToolNames, type ToolNameRule } from "../tool_names.ts";

const GEMINI_TOOL_NAMES: ToolNameRule = {
  invalid: /[^A-Za-z0-9_.:-]/g,
  start: /^[A-Za-z_]/,
  maxLength: 64,
};

/** The name Gemini sees for a client tool name (unchanged when already valid). */
export function geminiFunctionName(name: string): string {
  return fitToolName(name, GEMINI_TOOL_NAMES);
}

/** Gemini name → client name, for the tools whose names had to change. */
export function renamedTools(tools: readonly ToolDefinition[] | undefined): Map<string, string> {
  return renamedToolNames(tools, GEMINI_TOOL_NAMES);
}
