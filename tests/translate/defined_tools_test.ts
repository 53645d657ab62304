/** The tools Anthropic defines for the client to run, as ordinary tools with their inputs. */

import assert from "node:assert/strict";
import {
  definedToolAsCustom,
  withDefinedTools,
} from "../../src/translate/anthropic/defined_tools.ts";
import type { MessagesRequest, ToolDefinition } from "../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { moonshotToolsProblem } from "../mocks/moonshot_strict.ts";

type Schema = { properties: Record<string, { enum?: string[] }>; required?: string[] };

function schemaOf(tool: ToolDefinition): Schema {
  const custom = definedToolAsCustom(tool);
  assert.ok(custom, `${tool.type} is a defined tool`);
  assert.equal(custom.name, tool.name, "the client's name is kept");
  assert.equal(custom.type, undefined);
  return custom.input_schema as unknown as Schema;
}

Deno.test("the text editor's inputs follow its version", () => {
  const editor = (type: string) => schemaOf({ type, name: "str_replace_based_edit_tool" });
  const latest = editor("text_editor_20250728");
  assert.ok("insert_text" in latest.properties);
  assert.deepEqual(latest.properties.command!.enum, ["view", "create", "str_replace", "insert"]);
  const claude4 = editor("text_editor_20250429");
  assert.equal("insert_text" in claude4.properties, false, "insert took new_str then");
  assert.equal(claude4.properties.command!.enum!.includes("undo_edit"), false);
  const sonnet37 = editor("text_editor_20250124");
  assert.ok(sonnet37.properties.command!.enum!.includes("undo_edit"));
  assert.deepEqual(latest.required, ["command", "path"]);
});

Deno.test("bash, memory and computer get their documented inputs", () => {
  assert.ok("restart" in schemaOf({ type: "bash_20250124", name: "bash" }).properties);
  const memory = schemaOf({ type: "memory_20250818", name: "memory" });
  assert.deepEqual(memory.properties.command!.enum, [
    "view",
    "create",
    "str_replace",
    "insert",
    "delete",
    "rename",
  ]);
  assert.ok("old_path" in memory.properties && "new_path" in memory.properties);
  const screen = { type: "computer_20250124", name: "computer", display_width_px: 1280 };
  const computer = definedToolAsCustom({ ...screen, display_height_px: 800 });
  assert.match(computer!.description!, /1280x800 pixels/);
  assert.deepEqual((computer!.input_schema as unknown as Schema).required, ["action"]);
});

Deno.test("other tools are left as they are", () => {
  const tools: ToolDefinition[] = [
    { name: "Read", input_schema: { type: "object" } },
    { type: "web_search_20250305", name: "web_search" },
    { type: "mcp_toolset", mcp_server_name: "srv" },
  ];
  assert.equal(withDefinedTools(tools), tools, "the same array when no tool is a defined one");
  for (const tool of tools) assert.equal(definedToolAsCustom(tool), undefined);
  const mixed = withDefinedTools([...tools, { type: "bash_20241022", name: "bash" }])!;
  assert.equal(mixed[0], tools[0]);
  assert.equal(mixed[3]!.name, "bash");
});

Deno.test("their schemas pass Gemini's and Moonshot's strict schema checks", () => {
  const tools = [
    { type: "bash_20250124", name: "bash" },
    { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
    { type: "text_editor_20250124", name: "str_replace_editor" },
    { type: "memory_20250818", name: "memory" },
    { type: "computer_20251124", name: "computer", display_width_px: 1, display_height_px: 2 },
  ];
  const req: MessagesRequest = {
    model: "m",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
    tools,
  };
  for (const model of ["gemini-2.5-pro", "gemini-3-pro-preview"]) {
    const body = toGeminiRequest(req, { provider: "g", model });
    assert.equal(body.tools?.[0]?.functionDeclarations?.length, tools.length);
    assert.equal(geminiRequestProblem(body as never, model), undefined, model);
  }
  const kimi = toOpenAIChatRequest(req, {
    dialect: OPENAI_DIALECTS.kimi,
    model: "kimi-k2",
    provider: "k",
  });
  assert.equal(kimi.tools?.length, tools.length);
  assert.equal(moonshotToolsProblem(kimi as never), undefined);
});
