/**
 * Models whose chat template opens `<think>` in the prompt (Qwen3 Thinking-2507, QwQ, DeepSeek R1),
 * behind a server run without a reasoning parser: content starts inside reasoning, and only
 * `</think>` shows where the answer begins.
 */

import assert from "node:assert/strict";
import { delta, DONE, message } from "./_translator.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import type { UpstreamEvent } from "../../../src/translate/openai_chat/events.ts";

const local = { dialect: OPENAI_DIALECTS.local, upstreamModel: "qwq-32b" };
const kinds = (events: UpstreamEvent[], options = local) =>
  message(events, options).content.map((b) =>
    b.type === "thinking" ? ["thinking", b.thinking] : b.type === "text" ? ["text", b.text] : [
      b.type,
    ]
  );

Deno.test("reasoning the prompt opened", async (t) => {
  await t.step("only </think> in content: reasoning before it, the answer after", () => {
    assert.deepEqual(
      kinds([delta({ content: "Plan it.</think>\n\nDone." }), delta({}, "stop"), DONE]),
      [["thinking", "Plan it."], ["text", "Done."]],
    );
  });
  await t.step("a served `<think>` at the start is not taken for reasoning text", () => {
    const cases: [string[], string][] = [
      [["<think>\nPlan it.</think>Done."], "\nPlan it."],
      [["\n<th", "ink>Plan it.</think>Done."], "Plan it."],
    ];
    for (const [pieces, thought] of cases) {
      assert.deepEqual(
        kinds([...pieces.map((content) => delta({ content })), delta({}, "stop"), DONE]),
        [["thinking", thought], ["text", "Done."]],
      );
    }
  });
  await t.step("never closed and nothing else came: it was the answer", () => {
    assert.deepEqual(kinds([delta({ content: "Just the answer." }), delta({}, "stop"), DONE]), [
      ["thinking", "Just the answer."],
      ["text", "Just the answer."],
    ]);
  });
  await t.step("never closed and cut at the limit: reasoning only", () => {
    const m = message([delta({ content: "Still thinking" }), delta({}, "length"), DONE], local);
    assert.deepEqual(m.content.map((b) => b.type), ["thinking"]);
    assert.equal(m.stop_reason, "max_tokens");
  });
  await t.step("a tool call written after </think> is still recovered", () => {
    const tools = [{ name: "Bash", input_schema: { type: "object" } }];
    const m = message([
      delta({ content: "Need ls.</think>\n\n<tool_call>\n" }),
      delta({ content: '{"name": "Bash", "arguments": {"command": "ls"}}\n</tool_call>' }),
      delta({}, "stop"),
      DONE,
    ], { ...local, tools });
    assert.deepEqual(m.content.map((b) => b.type), ["thinking", "tool_use"]);
    assert.equal(m.stop_reason, "tool_use");
  });
  await t.step("a model whose template does not open it keeps its content as text", () => {
    assert.deepEqual(
      kinds([delta({ content: "Use </think> to close." }), delta({}, "stop"), DONE], {
        dialect: DEFAULT_OPENAI_DIALECT,
        upstreamModel: "qwen3-coder-30b",
      }),
      [["text", "Use </think> to close."]],
    );
  });
});
