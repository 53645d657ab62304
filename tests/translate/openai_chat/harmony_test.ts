/**
 * gpt-oss's harmony messages leaked into `content` (llama-server with `--reasoning-format none`,
 * or an older build) under `type: openai`: the analysis channel is thinking, a commentary message
 * to `functions.X` is a call of X, the final channel is text, however the stream is cut.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { contentStream, cuts, toolUse, wellFormedMessage } from "../_stream_helpers.ts";
import { localWith, TEXT_TOOLS } from "./_text_tools.ts";

const ON = localWith(TEXT_TOOLS);

async function streamed(pieces: readonly string[], chunkBytes?: number): Promise<Message> {
  const bytes = contentStream(pieces, { usage: { prompt_tokens: 9, completion_tokens: 5 } });
  const chunks = chunkBytes === undefined ? [bytes] : [];
  for (let at = 0; chunkBytes !== undefined && at < bytes.length; at += chunkBytes) {
    chunks.push(bytes.slice(at, at + chunkBytes));
  }
  return await wellFormedMessage(chunks, ON);
}

/** The blocks of `m` as [type, its text or call] pairs. */
function blocks(m: Message): unknown[] {
  return m.content.map((b) =>
    b.type === "thinking"
      ? ["thinking", b.thinking]
      : b.type === "text"
      ? ["text", b.text]
      : b.type === "tool_use"
      ? ["tool_use", b.name, b.input]
      : [b.type]
  );
}

// As llama-server writes gpt-oss's turn when it leaves the format unparsed.
const CALL_TURN = "<|channel|>analysis<|message|>The user wants the café file; read it first." +
  "<|end|><|start|>assistant<|channel|>commentary to=functions.Read <|constrain|>json" +
  '<|message|>{"file_path":"/tmp/café.txt"}<|call|>';
const CALL_BLOCKS = [
  ["thinking", "The user wants the café file; read it first."],
  ["tool_use", "Read", { file_path: "/tmp/café.txt" }],
];
const FINAL_TURN = "<|channel|>analysis<|message|>Edited; say so.<|end|>" +
  "<|start|>assistant<|channel|>final<|message|>Done: TODO is now DONE.<|return|>";
const FINAL_BLOCKS = [["thinking", "Edited; say so."], ["text", "Done: TODO is now DONE."]];

Deno.test("harmony: analysis is thinking, a message to functions.X a call, final text", async (t) => {
  await t.step("a call, split into two pieces at every position", async () => {
    for (const pieces of cuts(CALL_TURN)) {
      const m = await streamed(pieces);
      assert.deepEqual(blocks(m), CALL_BLOCKS, JSON.stringify(pieces));
      assert.equal(m.stop_reason, "tool_use");
    }
  });
  await t.step("a final answer, split into two pieces at every position", async () => {
    for (const pieces of cuts(FINAL_TURN)) {
      const m = await streamed(pieces);
      assert.deepEqual(blocks(m), FINAL_BLOCKS, JSON.stringify(pieces));
      assert.equal(m.stop_reason, "end_turn");
    }
  });
  await t.step("one character per piece, and the stream's bytes cut one at a time", async () => {
    assert.deepEqual(blocks(await streamed([...CALL_TURN])), CALL_BLOCKS);
    assert.deepEqual(blocks(await streamed([CALL_TURN], 1)), CALL_BLOCKS);
    assert.deepEqual(blocks(await streamed([...FINAL_TURN], 3)), FINAL_BLOCKS);
  });
});

Deno.test("harmony: the ugly cases", async (t) => {
  await t.step(
    "the recipient before the channel, and no <|end|> before the next header",
    async () => {
      const m = await streamed([
        "<|channel|>analysis<|message|>List it.<|start|>assistant to=functions.Bash",
        '<|channel|>commentary json<|message|>{"command":"ls"}<|call|>',
      ]);
      assert.deepEqual(blocks(m), [["thinking", "List it."], ["tool_use", "Bash", {
        command: "ls",
      }]]);
    },
  );
  await t.step("text before the first message, and a final channel the stream ends", async () => {
    const m = await streamed(["Sure. <|chan", "nel|>final<|message|>All ", "good."]);
    assert.ok(m.content.every((b) => b.type === "text"), JSON.stringify(m.content));
    const texts = m.content.map((b) => (b as { text: string }).text).join("");
    assert.equal(texts, "Sure. All good.");
  });
  await t.step("a call of a tool not offered, or of no JSON object, stays text", async () => {
    const unknown = await streamed([
      "<|channel|>commentary to=functions.Nope<|message|>{}<|call|>",
    ]);
    assert.deepEqual(blocks(unknown), [
      ["text", "<|channel|>commentary to=functions.Nope<|message|>{}"],
    ]);
    const broken = await streamed([
      '<|channel|>commentary to=functions.Read<|message|>{"file_',
      "<|call|>",
    ]);
    assert.equal(broken.content[0]?.type, "text");
    assert.match((broken.content[0] as { text: string }).text, /\{"file_$/);
  });
  await t.step("a commentary message without a recipient, then the final one", async () => {
    const turn = "<|channel|>commentary<|message|>I'll check the file.<|end|>" +
      "<|start|>assistant<|channel|>final<|message|>It is fine.<|return|>";
    const expected = [["text", "I'll check the file.\n\nIt is fine."]];
    for (const pieces of cuts(turn)) {
      assert.deepEqual(blocks(await streamed(pieces)), expected, JSON.stringify(pieces));
    }
  });
  await t.step("two calls in one turn", async () => {
    const call = (path: string) =>
      `<|start|>assistant<|channel|>commentary to=functions.Read <|constrain|>json<|message|>{"file_path":"${path}"}<|call|>`;
    const m = await streamed([call("/a"), call("/b")]);
    assert.deepEqual(toolUse(m, 0), { name: "Read", input: { file_path: "/a" } });
    assert.deepEqual(toolUse(m, 1), { name: "Read", input: { file_path: "/b" } });
  });
  await t.step(
    "content without harmony is left as it was, `<|` and a last `<` included",
    async () => {
      const m = await streamed(["a <| b", " c <"]);
      assert.deepEqual(blocks(m), [["text", "a <| b c <"]]);
    },
  );
});
