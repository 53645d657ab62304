/**
 * K2 Thinking at times writes its tool-call section inside its reasoning (`reasoning_content`,
 * OpenRouter's `reasoning`): under text_tool_calls the section leaves the thinking block and
 * becomes tool_use blocks after it, as a section in content does, so the tools run.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import { decodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import type { OfferedTool } from "../../../src/translate/openai_chat/text_tool_parse.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import {
  assertWellFormed,
  BASE_OPTIONS,
  chatStream,
  cuts,
  type Frame,
  parseFrames,
  sdkMessage,
  translateChunks,
} from "../_stream_helpers.ts";
import { BASH_TOOL, READ_TOOL } from "../_tools.ts";

const TOOLS: OfferedTool[] = [BASH_TOOL, READ_TOOL];
const ON: Partial<TranslateOptions> = {
  dialect: OPENAI_DIALECTS.kimi,
  upstreamModel: "kimi-k2-thinking",
  tools: TOOLS,
};
/** A generic server: recovery off. */
const OFF: Partial<TranslateOptions> = { ...ON, dialect: OPENAI_DIALECTS.openai_compatible };

const BEGIN = "<|tool_calls_section_begin|>";
const END = "<|tool_calls_section_end|>";
function call(id: string, args: string): string {
  return `<|tool_call_begin|> ${id} <|tool_call_argument_begin|> ${args} <|tool_call_end|>`;
}
const SECTION = `${BEGIN} ${call("functions.Bash:0", '{"command":"ls"}')} ${END}`;

async function run(
  deltas: readonly unknown[],
  options: Partial<TranslateOptions> = ON,
  finish = "stop",
): Promise<{ frames: Frame[]; message: Message }> {
  const out = await translateChunks([chatStream(deltas, { finish })], options);
  const frames = parseFrames(out);
  assertWellFormed(frames);
  return { frames, message: await sdkMessage(out) };
}

/** The blocks, tool ids left out. */
function shape(m: Message): unknown[] {
  return m.content.map((b) => {
    if (b.type === "thinking") return { thinking: b.thinking };
    if (b.type === "tool_use") return { tool: b.name, input: b.input };
    if (b.type === "text") return { text: b.text };
    return b.type;
  });
}

/** The order blocks start and stop in: `start:thinking@0`, `stop@0`, … */
function blockEvents(frames: readonly Frame[]): string[] {
  return frames.flatMap((f) =>
    f.event === "content_block_start"
      ? [`start:${f.data.content_block!.type}@${f.data.index}`]
      : f.event === "content_block_stop"
      ? [`stop@${f.data.index}`]
      : []
  );
}

Deno.test("a Kimi K2 section in streamed reasoning becomes tool_use after the thinking", async (t) => {
  const reasoning = `The user wants the files. ${SECTION}`;
  for (const field of ["reasoning_content", "reasoning"]) {
    await t.step(`${field}, split at every point`, async () => {
      for (const pieces of [[reasoning], [...reasoning], ...cuts(reasoning)]) {
        const { frames, message } = await run(pieces.map((p) => ({ [field]: p })));
        const label = JSON.stringify(pieces);
        assert.deepEqual(shape(message), [
          { thinking: "The user wants the files. " },
          { tool: "Bash", input: { command: "ls" } },
        ], label);
        assert.deepEqual(blockEvents(frames), [
          "start:thinking@0",
          "stop@0",
          "start:tool_use@1",
          "stop@1",
        ], label);
        assert.equal(message.stop_reason, "tool_use", label);
        const id = (message.content[1] as { id: string }).id;
        assert.match(id, /^toolu_[A-Za-z0-9]{24}$/);
      }
    });
  }
  await t.step("thinking and text after the section take the next indexes", async () => {
    const text = `Plan. ${SECTION}\nWait for it.`;
    for (const pieces of [[text], ...cuts(text)]) {
      const { frames, message } = await run([
        ...pieces.map((reasoning_content) => ({ reasoning_content })),
        { content: "Listing now." },
      ]);
      const label = JSON.stringify(pieces);
      assert.deepEqual(shape(message), [
        { thinking: "Plan. " },
        { tool: "Bash", input: { command: "ls" } },
        { thinking: "Wait for it." },
        { text: "Listing now." },
      ], label);
      assert.deepEqual(blockEvents(frames), [
        "start:thinking@0",
        "stop@0",
        "start:tool_use@1",
        "stop@1",
        "start:thinking@2",
        "stop@2",
        "start:text@3",
        "stop@3",
      ], label);
      assert.equal(message.stop_reason, "tool_use");
    }
  });
  await t.step("content after a held marker prefix comes after the reasoning", async () => {
    const { message } = await run([
      { reasoning_content: "Hmm <|tool_calls" },
      { content: "Answer." },
    ]);
    assert.deepEqual(shape(message), [{ thinking: "Hmm <|tool_calls" }, { text: "Answer." }]);
    assert.equal(message.stop_reason, "end_turn");
  });
  await t.step("two calls, singular tokens, then native tool_calls", async () => {
    const text = "<|tool_call_section_begin|>" + call("functions.Read:0", '{"file_path":"/a"}') +
      call("Bash:1", '{"command":"pwd"}') + "<|tool_call_section_end|>";
    const native = { index: 0, id: "call_n", function: { name: "Read", arguments: "{}" } };
    for (const pieces of cuts(text)) {
      const { message } = await run([
        { reasoning_content: "Both." },
        ...pieces.map((reasoning_content) => ({ reasoning_content })),
        { tool_calls: [native] },
      ]);
      assert.deepEqual(shape(message), [
        { thinking: "Both." },
        { tool: "Read", input: { file_path: "/a" } },
        { tool: "Bash", input: { command: "pwd" } },
        { tool: "Read", input: {} },
      ], JSON.stringify(pieces));
    }
  });
  await t.step("OpenRouter's reasoning_details stay with the thinking block", async () => {
    const detail = (text: string) => [{ type: "reasoning.text", text, index: 0 }];
    const a = "Run it. ";
    const b = SECTION.slice(0, 40);
    const c = SECTION.slice(40);
    const { message } = await run([
      { reasoning: a, reasoning_details: detail(a) },
      { reasoning: b, reasoning_details: detail(b) },
      { reasoning: c, reasoning_details: detail(c) },
    ]);
    assert.deepEqual(shape(message), [
      { thinking: "Run it. " },
      { tool: "Bash", input: { command: "ls" } },
    ]);
    const signed = decodeCcpSignature((message.content[0] as { signature: string }).signature);
    assert.deepEqual(signed?.details, [{ type: "reasoning.text", text: a + b + c, index: 0 }]);
  });
  await t.step("a section inside <think> tags in content", async () => {
    const text = `<think>Look. ${SECTION}</think>Done.`;
    const local = { ...ON, dialect: OPENAI_DIALECTS.local };
    for (const pieces of [[text], ...cuts(text)]) {
      const { message } = await run(pieces.map((content) => ({ content })), local);
      assert.deepEqual(shape(message), [
        { thinking: "Look. " },
        { tool: "Bash", input: { command: "ls" } },
        { text: "Done." },
      ], JSON.stringify(pieces));
    }
  });
});

Deno.test("a Kimi K2 section in non-streamed reasoning becomes tool_use", () => {
  for (const field of ["reasoning_content", "reasoning"]) {
    const m = openAIResponseToAnthropic({
      id: "c",
      model: "kimi-k2-thinking",
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: "",
          [field]: `I need the files.${SECTION}`,
        },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    }, { ...BASE_OPTIONS, ...ON });
    assert.deepEqual(shape(m as Message), [
      { thinking: "I need the files." },
      { tool: "Bash", input: { command: "ls" } },
    ], field);
    assert.equal(m.stop_reason, "tool_use");
  }
});

Deno.test("reasoning that holds no runnable section stays thinking, unchanged", async (t) => {
  await t.step("a call cut before its end token stays thinking text", async () => {
    const open = `Go. ${BEGIN} <|tool_call_begin|> functions.Bash:0 <|tool_call_argument_begin|> ` +
      '{"command":"rm -rf /tmp/x';
    for (const pieces of [[open], ...cuts(open)]) {
      const deltas = pieces.map((reasoning_content) => ({ reasoning_content }));
      for (const after of [[], [{ content: "Hm." }]]) {
        const { message } = await run([...deltas, ...after]);
        assert.deepEqual(
          shape(message),
          [{ thinking: open }, ...after.map(() => ({ text: "Hm." }))],
          JSON.stringify(pieces),
        );
        assert.equal(message.stop_reason, "end_turn");
      }
    }
    const { message } = await run([{ reasoning_content: open }], ON, "length");
    assert.deepEqual(shape(message), [{ thinking: open }]);
    assert.equal(message.stop_reason, "max_tokens");
  });
  await t.step(
    "every call ended, only the section's end missing: runs, as in content",
    async () => {
      const open = `Go. ${BEGIN}${call("functions.Bash:0", '{"command":"ls"}')}`;
      const { message } = await run([{ reasoning_content: open }, { content: "Ok." }]);
      assert.deepEqual(shape(message), [
        { thinking: "Go. " },
        { tool: "Bash", input: { command: "ls" } },
        { text: "Ok." },
      ]);
      assert.equal(message.stop_reason, "tool_use");
    },
  );
  await t.step("sections that are not calls, and other forms, stay thinking", async () => {
    // A tool not offered, bad JSON, and `<tool_call>` (in reasoning usually a draft).
    for (
      const text of [
        `Say ${BEGIN}${call("functions.Rm:0", "{}")}${END} no.`,
        `${BEGIN}${call("functions.Bash:0", '{"command":')}${END}`,
        '<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}</tool_call>',
      ]
    ) {
      for (const pieces of [[text], ...cuts(text)]) {
        const { message } = await run(pieces.map((reasoning_content) => ({ reasoning_content })));
        assert.deepEqual(shape(message), [{ thinking: text }], JSON.stringify(pieces));
        assert.equal(message.stop_reason, "end_turn");
      }
    }
  });
  await t.step("a marker's start the content stages release at the end is kept", async () => {
    // The control-token stage holds `<|` until the end, then hands it on as `<think>` text.
    const local = { ...ON, dialect: OPENAI_DIALECTS.local };
    for (
      const after of [[], [{ tool_calls: [{ index: 0, id: "c", function: { name: "Bash" } }] }]]
    ) {
      const { message } = await run([{ content: "<think>Hm <|" }, ...after], local);
      assert.deepEqual(shape(message)[0], { thinking: "Hm <|" });
    }
  });
  await t.step("reasoning without a marker streams as it comes", async () => {
    const pieces = ["Think", " about ", "it."];
    for (const options of [ON, OFF]) {
      const { frames } = await run([
        ...pieces.map((reasoning_content) => ({ reasoning_content })),
        { content: "A." },
      ], options);
      const thinking = frames.filter((f) => f.data.delta?.type === "thinking_delta")
        .map((f) => (f.data.delta as { thinking?: string }).thinking);
      assert.deepEqual(thinking, pieces);
    }
  });
  await t.step("recovery off: a section in reasoning is left alone, piece for piece", async () => {
    const pieces = [...cuts(SECTION)][30]!;
    for (const options of [OFF, { ...ON, tools: [] }]) {
      const { frames, message } = await run(
        pieces.map((reasoning_content) => ({ reasoning_content })),
        options,
      );
      const thinking = frames.filter((f) => f.data.delta?.type === "thinking_delta")
        .map((f) => (f.data.delta as { thinking?: string }).thinking);
      assert.deepEqual(thinking, pieces);
      assert.deepEqual(shape(message), [{ thinking: SECTION }]);
      assert.equal(message.stop_reason, "end_turn");
    }
  });
});
