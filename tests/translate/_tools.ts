/**
 * The tools translator tests offer, declared as Claude Code declares them but with only the
 * parameters the tests call them with. Tests that need more of a schema (a parameter of each
 * JSON type, as in openai_chat/_text_tools.ts) declare their own.
 */

import type { OfferedTool } from "../../src/translate/openai_chat/text_tool_parse.ts";

export const BASH_TOOL = {
  name: "Bash",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
} satisfies OfferedTool;

export const READ_TOOL = {
  name: "Read",
  input_schema: { type: "object", properties: { file_path: { type: "string" } } },
} satisfies OfferedTool;

/** A tool that takes no argument. */
export const LIST_AGENTS_TOOL = {
  name: "ListAgents",
  input_schema: { type: "object", properties: {} },
} satisfies OfferedTool;
