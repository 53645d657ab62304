/**
 * A tool's `input_examples` (inputs the client shows the model as good calls) have no field in
 * the other protocols' function definitions; they go at the end of the description instead, so
 * the model still sees them.
 */

import type { ToolDefinition } from "../../protocols/anthropic.ts";

/** The description to send for `tool`: its own, then its examples; undefined when neither. */
export function describedTool(tool: ToolDefinition): string | undefined {
  const examples = Array.isArray(tool.input_examples) ? tool.input_examples : [];
  const own = typeof tool.description === "string" && tool.description ? tool.description : "";
  if (examples.length === 0) return own || undefined;
  const lines = examples.map((example) => `- ${JSON.stringify(example)}`).join("\n");
  return `${own}${own ? "\n\n" : ""}Examples of input:\n${lines}`;
}
