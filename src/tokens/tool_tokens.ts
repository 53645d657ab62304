/**
 * What a tool definition adds on top of its JSON text: apart from the counter, so the bound that
 * `long_context` routing checks needs neither the counter nor the tokenizer's modules loaded.
 */
import { DEFAULT_CALIBRATION } from "./calibration.ts";

// Tool-definition overheads Anthropic bills for its own tools: bash 245, text editor 700, computer
// use 735 plus a 466-499 token system prompt. Other server tools (web search, web fetch, code
// execution, ...) publish no number; 300 is a guess.
export const SERVER_TOOL_TOKENS: ReadonlyArray<readonly [string, number]> = [
  ["bash_", 245],
  ["text_editor_", 700],
  ["computer_", 735 + 499],
];
export const OTHER_SERVER_TOOL_TOKENS = 300;

/** The most one tool definition adds on top of its JSON text (client or server tool). */
export const MAX_TOOL_DEFINITION_TOKENS = Math.max(
  DEFAULT_CALIBRATION.tool,
  OTHER_SERVER_TOOL_TOKENS,
  ...SERVER_TOOL_TOKENS.map(([, tokens]) => tokens),
);
