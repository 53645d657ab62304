/**
 * Tool names Gemini accepts: letters, digits, underscores, colons, dots and dashes, starting with
 * a letter or an underscore, at most 64 characters. MCP tools can break each rule.
 */

import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { renamedToolNames, type ToolNamer, toolNamer, type ToolNameRule } from "../tool_names.ts";

const GEMINI_TOOL_NAMES: ToolNameRule = {
  invalid: /[^A-Za-z0-9_.:-]/g,
  start: /^[A-Za-z_]/,
  maxLength: 64,
};

/** The names Gemini sees for one request's client tool names (unchanged when already valid). */
export function geminiToolNamer(tools: readonly ToolDefinition[] | undefined): ToolNamer {
  return toolNamer(tools, GEMINI_TOOL_NAMES);
}

/** Gemini name -> client name, for the tools whose names had to change. */
export function renamedTools(tools: readonly ToolDefinition[] | undefined): Map<string, string> {
  return renamedToolNames(tools, GEMINI_TOOL_NAMES);
}
