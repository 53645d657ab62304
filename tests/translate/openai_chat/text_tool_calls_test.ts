/**
 * Tool calls local servers write into `content` (Hermes JSON, Qwen3-Coder XML) become tool_use
 * blocks; control tokens are removed. The checks every text form gets (one call cut at every
 * position) are in text_tool_forms_test.ts.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import {
  assertWellFormed,
  BASE_OPTIONS,
  bytewise,
  contentStream,
  cuts,
  parseFrames,
  sdkMessage,
  toolUse,
  translateChunks,
} from "../_stream_helpers.ts";
import { localWith, TEXT_TOOLS } from "./_text_tools.ts";

const ON = localWith(TEXT_TOOLS);
const encoder = new TextEncoder();

/** A recorded-style Ollama /v1 stream whose content arrives in `pieces`. */
function sse(pieces: readonly string[]): Uint8Array {
  return contentStream(pieces, { usage: { prompt_tokens: 9, completion_tokens: 5 } });
}

/** Streams the pieces through ccp's translation; checks the events and returns the message. */
async function streamed(
  pieces: readonly string[],
  options: Partial<TranslateOptions> = ON,
  split = false,
): Promise<Message> {
  const bytes = sse(pieces);
  const out = await translateChunks(split ? bytewise(bytes) : [bytes], options);
  assertWellFormed(parseFrames(out));
  const frames = parseFrames(out);
  assert.equal(frames.at(-2)?.data.usage?.output_tokens, 5, "the upstream's usage is kept");
  return await sdkMessage(out);
}

const HERMES = 'Let me look.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}}\n' +
  "</tool_call>";
const READ = '<tool_call>{"name": "Read", "arguments": {}}</tool_call>';

Deno.test("text-form tool calls (Hermes JSON) become tool_use blocks", async (t) => {
  await t.step("two calls with text before and after, indexes in order", async () => {
    const m = await streamed([
      "Checking.\n<tool_call>\n",
      '{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>\n',
      '<tool_call>\n{"name": "Bash", "arguments": "{\\"command\\": \\"pwd\\"}"}\n</tool_call>\n',
      "Done.",
    ]);
    assert.equal(m.content.length, 4);
    assert.deepEqual(m.content[0], { type: "text", text: "Checking.\n" });
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: { file_path: "/a" } });
    assert.deepEqual(toolUse(m, 2), { name: "Bash", input: { command: "pwd" } });
    assert.deepEqual(m.content[3], { type: "text", text: "Done." });
    assert.equal(m.stop_reason, "tool_use");
  });
  await t.step("a call naming a tool not offered stays text, unchanged", async () => {
    const unknown = '<tool_call>{"name": "Rm", "arguments": {}}</tool_call>';
    const m = await streamed([unknown, READ]);
    assert.deepEqual(m.content[0], { type: "text", text: unknown });
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: {} });
  });
  await t.step("invalid JSON or non-object arguments stay text, unchanged", async () => {
    const bad = '<tool_call>{"name": "Bash", "arguments": {"command": </tool_call>';
    const list = '<tool_call>{"name": "Bash", "arguments": [1]}</tool_call>';
    const m = await streamed([bad, list, READ]);
    assert.deepEqual(m.content[0], { type: "text", text: bad + list });
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: {} });
  });
  await t.step("an unclosed call at the end is released as text", async () => {
    const open = '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"';
    const m = await streamed([READ, "\n", open]);
    assert.deepEqual(toolUse(m, 0), { name: "Read", input: {} });
    assert.deepEqual(m.content[1], { type: "text", text: open });
    assert.equal(m.stop_reason, "tool_use");
  });
  await t.step("after <think>, the call still becomes a tool_use", async () => {
    const m = await streamed(["<think>plan</think>\n", READ.slice(0, 20), READ.slice(20)]);
    assert.equal(m.content[0]?.type, "thinking");
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: {} });
  });
});

const XML = "<tool_call>\n<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n" +
  "<parameter=timeout>\n5000\n</parameter>\n<parameter=run_in_background>\nfalse\n" +
  '</parameter>\n<parameter=env>\n{"A": "1"}\n</parameter>\n</function>\n</tool_call>';

Deno.test("text-form tool calls (Qwen3-Coder XML) with typed parameters", async (t) => {
  await t.step("wrapped, split at every position", async () => {
    for (const pieces of cuts(XML)) {
      const m = await streamed(pieces);
      assert.deepEqual(toolUse(m, 0), {
        name: "Bash",
        input: { command: "ls -la", timeout: 5000, run_in_background: false, env: { A: "1" } },
      });
    }
  });
  await t.step("bare <function=…>; a value not valid for its type stays a string", async () => {
    const m = await streamed([
      "Running.\n<function=Bash>\n<parameter=command>\necho 1\n</parameter>\n",
      "<parameter=timeout>\nsoon\n</parameter>\n</function>",
    ]);
    assert.deepEqual(m.content[0], { type: "text", text: "Running.\n" });
    assert.deepEqual(toolUse(m, 1), {
      name: "Bash",
      input: { command: "echo 1", timeout: "soon" },
    });
  });
  await t.step("stray text between parameters is not a call", async () => {
    const odd = "<function=Bash>\nsee <parameter=command>\nls\n</parameter>\n</function>";
    const m = await streamed([odd, "<function=Read>\n</function>"]);
    assert.deepEqual(m.content[0], { type: "text", text: odd });
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: {} });
  });
});

Deno.test("control tokens are removed from text, split across chunks", async (t) => {
  await t.step("streamed", async () => {
    for (const pieces of cuts("Done.<|im_end|>\n<|endoftext|>")) {
      const m = await streamed(pieces);
      assert.deepEqual(m.content, [{ type: "text", text: "Done.\n" }]);
    }
    const m = await streamed([..."a <|eot_id|>b <| c"], ON, true);
    assert.deepEqual(m.content, [{ type: "text", text: "a b <| c" }], "only known tokens");
  });
  await t.step("without tools offered: tokens go, tags stay text", async () => {
    const m = await streamed([HERMES, "<|im_end|>"], { dialect: OPENAI_DIALECTS.local });
    assert.deepEqual(m.content, [{ type: "text", text: HERMES }]);
    assert.equal(m.stop_reason, "end_turn");
  });
});

Deno.test("with the setting off, text is relayed unchanged", async () => {
  const dialect = { ...OPENAI_DIALECTS.local, textToolCalls: false };
  const text = HERMES + "<|im_end|>";
  const m = await streamed([text.slice(0, 20), text.slice(20)], { dialect, tools: TEXT_TOOLS });
  assert.deepEqual(m.content, [{ type: "text", text }]);
  assert.equal(m.stop_reason, "end_turn");
  assert.equal(DEFAULT_OPENAI_DIALECT.textToolCalls, false, "off unless a preset turns it on");
  assert.equal(OPENAI_DIALECTS.local.textToolCalls, true, "on for the local presets");
});

Deno.test("a non-streaming answer's text-form call becomes a tool_use", () => {
  const m = openAIResponseToAnthropic({
    id: "c",
    model: "qwen3",
    choices: [{
      index: 0,
      message: { role: "assistant", content: `${XML}<|im_end|>` },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 3, completion_tokens: 4 },
  }, { ...BASE_OPTIONS, ...ON });
  assert.equal(m.content.length, 1);
  assert.equal(toolUse(m, 0).name, "Bash");
  assert.equal(m.stop_reason, "tool_use");
});

Deno.test("a text-form call after native tool calls follows them", async () => {
  const frame = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const native = { index: 0, id: "call_1", function: { name: "Bash", arguments: "{}" } };
  const body = frame({ tool_calls: [native] }) + frame({ content: READ }) +
    frame({}, "tool_calls") + "data: [DONE]\n\n";
  const out = await translateChunks([encoder.encode(body)], ON);
  assertWellFormed(parseFrames(out));
  const m = await sdkMessage(out);
  assert.equal(m.content[0]?.type, "tool_use");
  assert.deepEqual(toolUse(m, 1), { name: "Read", input: {} });
  assert.equal(m.stop_reason, "tool_use");
});

Deno.test("a text-form call longer than 256 KiB is a tool_use however it is streamed", async () => {
  // A file a model writes through a tool: streamed, it once passed the hold-back limit and reached
  // the client as text (the call never run), in one delta per piece after the limit.
  const command = "x".repeat(300 * 1024);
  const call = `<tool_call>{"name": "Bash", "arguments": {"command": "${command}"}}</tool_call>`;
  for (const size of [call.length, 4096, 64]) {
    const pieces: string[] = [];
    for (let at = 0; at < call.length; at += size) pieces.push(call.slice(at, at + size));
    const frames = parseFrames(await translateChunks([sse(pieces)], ON));
    const deltas = frames.filter((f) => f.event === "content_block_delta");
    assert.deepEqual(
      deltas.map((f) => f.data.delta?.type),
      ["input_json_delta"],
      `pieces of ${size}: one tool_use, its input in one delta, no text`,
    );
    const input = JSON.parse(deltas[0]!.data.delta!.partial_json as string);
    assert.equal(input.command, command);
  }
});
