/**
 * GLM-4.5 / 4.6 / 4.7 served without a tool-call parser write a call as text:
 * `<tool_call>Name` then `<arg_key>key</arg_key><arg_value>value</arg_value>` pairs (on lines of
 * their own for 4.5 and 4.6, run together for 4.7), then `</tool_call>`. A value is the raw text
 * of a string, or JSON for anything else. The checks every text form gets are in
 * text_tool_forms_test.ts.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import {
  type OfferedTool,
  parseTextToolCall,
} from "../../../src/translate/openai_chat/text_tool_parse.ts";
import {
  BASE_OPTIONS,
  contentStream,
  cuts,
  sdkMessage,
  toolUse,
  translateChunks,
  wellFormedMessage,
} from "../_stream_helpers.ts";
import { localWith, TEXT_TOOLS } from "./_text_tools.ts";
import { LIST_AGENTS_TOOL } from "../_tools.ts";

const TOOLS: OfferedTool[] = [
  ...TEXT_TOOLS,
  LIST_AGENTS_TOOL,
];
const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));
const ON = localWith(TOOLS);

async function streamed(pieces: readonly string[]): Promise<Message> {
  const bytes = contentStream(pieces, { usage: { prompt_tokens: 9, completion_tokens: 5 } });
  return await wellFormedMessage([bytes], ON);
}

// GLM-4.5's template: each pair on lines of its own.
const GLM45 =
  "<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>ls -la\n  src/</arg_value>\n" +
  "<arg_key>timeout</arg_key>\n<arg_value>5000</arg_value>\n" +
  "<arg_key>run_in_background</arg_key>\n<arg_value>false</arg_value>\n" +
  '<arg_key>env</arg_key>\n<arg_value>{"A": "1"}</arg_value>\n' +
  '<arg_key>args</arg_key>\n<arg_value>["-x", 2]</arg_value>\n</tool_call>';
const GLM45_INPUT = {
  command: "ls -la\n  src/",
  timeout: 5000,
  run_in_background: false,
  env: { A: "1" },
  args: ["-x", 2],
};
// GLM-4.7's: the pairs run together.
const GLM47 = "<tool_call>Read<arg_key>file_path</arg_key><arg_value>/tmp/a b.txt</arg_value>" +
  "</tool_call>";

Deno.test("GLM's text form: pairs, typed by the tool's schema, however split", async (t) => {
  await t.step("GLM-4.5 layout, split at every position", async () => {
    for (const pieces of cuts(`Checking.\n${GLM45}`)) {
      const m = await streamed(pieces);
      assert.deepEqual(m.content[0], { type: "text", text: "Checking.\n" });
      assert.deepEqual(toolUse(m, 1), { name: "Bash", input: GLM45_INPUT }, JSON.stringify(pieces));
      assert.equal(m.stop_reason, "tool_use");
    }
  });
  await t.step("GLM-4.7 layout, two calls and one without arguments, text after", async () => {
    const m = await streamed([GLM47, "\n<tool_call>ListAgents</tool_call>", "\nDone."]);
    assert.deepEqual(toolUse(m, 0), { name: "Read", input: { file_path: "/tmp/a b.txt" } });
    assert.deepEqual(toolUse(m, 1), { name: "ListAgents", input: {} });
    assert.deepEqual(m.content[2], { type: "text", text: "Done." });
  });
  await t.step("a string stays text even when it reads as JSON", () => {
    const call = parseTextToolCall(
      "<tool_call>Bash<arg_key>command</arg_key><arg_value>42</arg_value></tool_call>",
      BY_NAME,
    );
    assert.deepEqual(call, { name: "Bash", input: { command: "42" } });
  });
  await t.step("a value not valid for its type stays a string", () => {
    const call = parseTextToolCall(
      "<tool_call>Bash<arg_key>timeout</arg_key><arg_value>soon</arg_value>" +
        "<arg_key>args</arg_key><arg_value>{}</arg_value></tool_call>",
      BY_NAME,
    );
    assert.deepEqual(call, { name: "Bash", input: { timeout: "soon", args: "{}" } });
  });
  await t.step("spaces as layout (llama.cpp) are read as GLM writes them", () => {
    const call = parseTextToolCall(
      "<tool_call>Read <arg_key> file_path </arg_key> <arg_value>/a</arg_value> </tool_call>",
      BY_NAME,
    );
    assert.deepEqual(call, { name: "Read", input: { file_path: "/a" } });
  });
});

Deno.test("what is not GLM's form stays text, unchanged, or goes to the other readers", async (t) => {
  const notCalls = [
    "<tool_call>Rm<arg_key>path</arg_key><arg_value>/</arg_value></tool_call>",
    "<tool_call>Bash see <arg_key>command</arg_key><arg_value>ls</arg_value></tool_call>",
    "<tool_call>Bash<arg_key>command</arg_key>stray<arg_value>ls</arg_value></tool_call>",
    "<tool_call>Bash<arg_key>command</arg_key><arg_value>ls</arg_value>tail</tool_call>",
    "<tool_call>Bash<arg_key>command</arg_key><arg_value>ls</tool_call>",
    "<tool_call>Bash<arg_key>command<arg_value>ls</arg_value></tool_call>",
    "<tool_call>Bash<arg_key></arg_key><arg_value>ls</arg_value></tool_call>",
    "<tool_call>Bash<arg_value>ls</arg_value></tool_call>",
    "<tool_call>the Bash tool</tool_call>",
    "<tool_call></tool_call>",
  ];
  await t.step("each stays text", async () => {
    for (const text of notCalls) {
      assert.equal(parseTextToolCall(text, BY_NAME), null, text);
      const m = await streamed([text]);
      assert.deepEqual(m.content, [{ type: "text", text }]);
      assert.equal(m.stop_reason, "end_turn");
    }
  });
  await t.step("Hermes JSON and Qwen3-Coder XML inside <tool_call> read as before", () => {
    const hermes = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>';
    const xml = "<tool_call>\n<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n" +
      "</function>\n</tool_call>";
    for (const text of [hermes, xml]) {
      assert.deepEqual(parseTextToolCall(text, BY_NAME), {
        name: "Read",
        input: { file_path: "/a" },
      });
    }
  });
});

Deno.test("a tool's bare name is a call only of a tool that needs no argument", async () => {
  // Prose or code that names a tool between the tags, as GLM writes a call without arguments:
  // a tool that requires some was not called so (Claude Code would refuse the empty input).
  const tools: OfferedTool[] = [
    { ...TOOLS[0]!, input_schema: { ...TOOLS[0]!.input_schema as object, required: ["command"] } },
    TOOLS.at(-1)!,
  ];
  const byName = new Map(tools.map((t) => [t.name, t]));
  const prose = "Each call is written <tool_call>Bash</tool_call>, its arguments after the name.";
  assert.equal(parseTextToolCall("<tool_call>Bash</tool_call>", byName), null);
  assert.equal(parseTextToolCall("<tool_call>Bash\n</tool_call>", byName), null);
  const bytes = contentStream([prose], { usage: { prompt_tokens: 9, completion_tokens: 5 } });
  const m = await sdkMessage(await translateChunks([bytes], localWith(tools)));
  assert.deepEqual(m.content, [{ type: "text", text: prose }]);
  assert.deepEqual(parseTextToolCall("<tool_call>ListAgents\n</tool_call>", byName), {
    name: "ListAgents",
    input: {},
  });
});

Deno.test("a non-streaming answer's GLM call becomes a tool_use", () => {
  const m = openAIResponseToAnthropic({
    id: "c",
    model: "zai-org/GLM-4.6",
    choices: [{
      index: 0,
      message: { role: "assistant", content: `Checking.\n${GLM45}` },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 3, completion_tokens: 4 },
  }, { ...BASE_OPTIONS, ...ON });
  assert.deepEqual(m.content[0], { type: "text", text: "Checking.\n" });
  assert.deepEqual(toolUse(m, 1), { name: "Bash", input: GLM45_INPUT });
  assert.equal(m.stop_reason, "tool_use");
});

Deno.test("a GLM call longer than 256 KiB is held as a call however it is streamed", async () => {
  // Its start names an offered tool and opens an argument: worth waiting for past the text limit.
  const content = "x".repeat(300 * 1024);
  const call = `<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>${content}</arg_value>\n` +
    "</tool_call>";
  const pieces: string[] = [];
  for (let at = 0; at < call.length; at += 4096) pieces.push(call.slice(at, at + 4096));
  const m = await streamed(pieces);
  assert.equal(m.content.length, 1);
  assert.deepEqual(toolUse(m, 0), { name: "Bash", input: { command: content } });
});
