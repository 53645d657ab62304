/**
 * What the tests of tool calls written as text share: the tools a request offers (Claude Code's
 * Bash, with a parameter of each JSON type, and Read) and the local dialect that reads such calls.
 */

import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import type { OfferedTool } from "../../../src/translate/openai_chat/text_tool_parse.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import { READ_TOOL } from "../_tools.ts";

export const TEXT_TOOLS: readonly OfferedTool[] = [
  {
    name: "Bash",
    input_schema: {
      type: "object",
      properties: {
        command: { type: "string" },
        timeout: { type: "number" },
        run_in_background: { type: "boolean" },
        env: { type: ["object", "null"] },
        args: { type: "array" },
      },
    },
  },
  READ_TOOL,
];

/** Translation options that offer `tools` to a local server, whose text calls are read. */
export function localWith(tools: readonly OfferedTool[]): Partial<TranslateOptions> {
  return { dialect: OPENAI_DIALECTS.local, tools };
}
