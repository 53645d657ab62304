/**
 * Tool names Gemini accepts. A function name "must be a-z, A-Z, 0-9, or contain
 * underscores, colons, dots, and dashes, with a maximum length of 64"
 * (https://ai.google.dev/api/caching#FunctionDeclaration); MCP tools can break both
 * rules.
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
