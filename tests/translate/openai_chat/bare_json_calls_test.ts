/**
 * Tool calls written as the whole answer in bare JSON, with no tag (qwen2.5-coder's
 * `{"name": "Read", "arguments": {...}}`, at times in a ```json fence or as a JSON array): recovered on the Chat path,
 * streamed (cut anywhere) and not, only when all of the answer's text is such calls of offered
 * tools. Prose with JSON in it, a JSON answer, and calls of tools not offered stay text.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import { BareJsonCalls } from "../../../src/translate/openai_chat/bare_json_calls.ts";
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

const ON = localWith(TEXT_TOOLS);

function streamed(pieces: readonly string[]): Promise<Message> {
  return wellFormedMessage([contentStream(pieces)], ON);
}

function whole(content: string): Message {
  return openAIResponseToAnthropic({
    id: "c",
    model: "qwen2.5-coder",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 4 },
  }, { ...BASE_OPTIONS, ...ON }) as Message;
}

const READ = '{"name": "Read", "arguments": {"file_path": "/w/a.txt"}}';
const BASH = '{"name": "Bash", "arguments": {"command": "wc -l a.txt", "timeout": 5000}}';
const FENCED = "```json\n" + READ + "\n```";

Deno.test("bare JSON calls as the whole answer become tool_use, cut at every place", async (t) => {
  const cases: [string, string, { name: string; input: unknown }[]][] = [
    ["one call", READ, [{ name: "Read", input: { file_path: "/w/a.txt" } }]],
    ["in a ```json fence, with layout around", `\n${FENCED}\n`, [{
      name: "Read",
      input: { file_path: "/w/a.txt" },
    }]],
    ["two calls on their lines", `${READ}\n${BASH}`, [
      { name: "Read", input: { file_path: "/w/a.txt" } },
      { name: "Bash", input: { command: "wc -l a.txt", timeout: 5000 } },
    ]],
    ["a JSON array of two calls", `[${READ}, ${BASH}]`, [
      { name: "Read", input: { file_path: "/w/a.txt" } },
      { name: "Bash", input: { command: "wc -l a.txt", timeout: 5000 } },
    ]],
    ["a JSON array over lines, in a fence", "```json\n[\n  " + READ + ",\n  " + BASH + "\n]\n```", [
      { name: "Read", input: { file_path: "/w/a.txt" } },
      { name: "Bash", input: { command: "wc -l a.txt", timeout: 5000 } },
    ]],
    [
      "arguments as a JSON string, a bare fence",
      '```\n{"name":"Bash","arguments":"{\\"command\\":\\"ls\\"}"}\n```',
      [{ name: "Bash", input: { command: "ls" } }],
    ],
  ];
  for (const [name, text, calls] of cases) {
    await t.step(name, async () => {
      for (const pieces of cuts(text)) {
        const m = await streamed(pieces);
        assert.equal(m.content.length, calls.length, JSON.stringify(pieces));
        calls.forEach((call, i) => assert.deepEqual(toolUse(m, i), call));
        assert.equal(m.stop_reason, "tool_use");
      }
      const m = await streamed([...text]);
      calls.forEach((call, i) => assert.deepEqual(toolUse(m, i), call));
      const json = whole(text);
      calls.forEach((call, i) => assert.deepEqual(toolUse(json, i), call));
      assert.equal(json.stop_reason, "tool_use");
    });
  }
  await t.step("a JSON array with a non-ASCII argument, its stream cut at every byte", async () => {
    const text = `[${READ.replace("a.txt", "é✓.txt")}, ${BASH}]`;
    const bytes = contentStream([text]);
    for (let i = 1; i < bytes.length; i++) {
      const out = await translateChunks([bytes.slice(0, i), bytes.slice(i)], ON);
      const m = await sdkMessage(out);
      assert.deepEqual(toolUse(m, 0), { name: "Read", input: { file_path: "/w/é✓.txt" } }, `${i}`);
      assert.equal(toolUse(m, 1).name, "Bash");
      assert.equal(m.stop_reason, "tool_use");
    }
  });
  await t.step("after <think> reasoning", async () => {
    for (const pieces of cuts(`<think>read it</think>\n${READ}`)) {
      const m = await streamed(pieces);
      assert.equal(m.content[0]?.type, "thinking");
      assert.deepEqual(toolUse(m, 1), { name: "Read", input: { file_path: "/w/a.txt" } });
    }
  });
});

Deno.test("bare JSON that is not the whole answer, or no call of an offered tool, stays text", async (t) => {
  const texts = [
    `I will call ${READ} now.`,
    `${READ}\nThen I will edit it.`,
    `${FENCED}\nDone.`,
    '{"name": "Rm", "arguments": {"path": "/"}}',
    '{"config": {"name": "Read"}}',
    // JSON a user asked for, whose name is not a tool's (a package.json), or that is more than a
    // call though its name is one (a tool's own definition): what it says is no call.
    '{"name": "my-app", "version": "1.0.0", "scripts": {"test": "deno test"}}',
    '{"name": "Read", "description": "Reads a file", "input_schema": {"type": "object"}}',
    '{"name": "Bash", "arguments": {"command": "ls"}, "output": "a.txt"}',
    `[${READ}, {"name": "Bash", "description": "Runs a command"}]`,
    // An object that only names a tool, as JSON with a `name` field does: a call says its arguments.
    '{"name": "Bash"}',
    '{"name": "Read", "arguments": [1]}',
    '{"name": "Read", "arguments": {"file_path": "/a"}',
    "```python\nprint(1)\n```",
    "```json\n[1, 2]\n```",
    `[${READ}, {"name": "Rm", "arguments": {}}]`,
    `[${READ},]`,
    `[${READ}] and then prose`,
    `[${READ}`,
    `[[${READ}]]`,
    "[]",
    "   ",
  ];
  for (const text of texts) {
    await t.step(JSON.stringify(text.slice(0, 40)), async () => {
      for (const pieces of cuts(text)) {
        const m = await streamed(pieces);
        assert.ok(m.content.every((b) => b.type === "text"), JSON.stringify(pieces));
        assert.equal(m.content.map((b) => b.type === "text" ? b.text : "").join(""), text);
        assert.equal(m.stop_reason, "end_turn");
      }
      const json = whole(text);
      assert.ok(json.content.every((b) => b.type === "text"), "not streamed");
      assert.equal(json.stop_reason, "end_turn");
    });
  }
});

Deno.test("bare JSON calls: text is held only while it can still be a call", () => {
  const bare = new BareJsonCalls(TEXT_TOOLS);
  assert.deepEqual(bare.push("\n"), []);
  assert.deepEqual(bare.push("```js"), []);
  assert.deepEqual(bare.push("on\n"), []);
  assert.deepEqual(bare.push('{"name": "Re'), []);
  // A name no offered tool begins with: released at once, and the rest passes untouched.
  assert.deepEqual(bare.push("x"), [{ kind: "text", text: '\n```json\n{"name": "Rex' }]);
  assert.equal(bare.settled, true);
  assert.deepEqual(bare.push('", "arguments": {}}'), [{
    kind: "text",
    text: '", "arguments": {}}',
  }]);
  const prose = new BareJsonCalls(TEXT_TOOLS);
  assert.deepEqual(prose.push("Sure"), [{ kind: "text", text: "Sure" }]);
  const other = new BareJsonCalls(TEXT_TOOLS);
  assert.deepEqual(other.push('{"type"'), [{ kind: "text", text: '{"type"' }]);
  const python = new BareJsonCalls(TEXT_TOOLS);
  assert.deepEqual(python.push("```py"), [{ kind: "text", text: "```py" }]);
});
