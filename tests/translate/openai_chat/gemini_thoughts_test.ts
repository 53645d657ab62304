/**
 * Gemini behind its OpenAI-compatible endpoint, asked for thoughts
 * (`extra_body.google.thinking_config.include_thoughts`): the thought summary arrives inside
 * `content`, wrapped in `<thought>…</thought>`, before the answer. It must reach the client as a
 * thinking block, never as answer text, however the stream cuts the tags.
 */

import assert from "node:assert/strict";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import { ThinkTagSplitter } from "../../../src/translate/reasoning/think_tags.ts";
import { delta, DONE, message, OPTIONS } from "./_translator.ts";

const GEMINI = {
  dialect: DEFAULT_OPENAI_DIALECT,
  provider: "google",
  upstreamModel: "gemini-3-flash-preview",
};
const THOUGHT = "**Listing the files**\nThe user wants a listing; `ls` is enough.";
const ANSWER = "Run `ls -la` to list them.";
const CONTENT = `<thought>${THOUGHT}</thought>${ANSWER}`;

function blocks(content: readonly { type: string; thinking?: string; text?: string }[]) {
  return content.map((b) => b.type === "thinking" ? ["thinking", b.thinking] : [b.type, b.text]);
}

Deno.test("Gemini thoughts in <thought> tags become a thinking block", async (t) => {
  await t.step("streamed, the tags cut at every place between two chunks", () => {
    for (let cut = 0; cut <= CONTENT.length; cut++) {
      const answer = message([
        delta({ role: "assistant", content: CONTENT.slice(0, cut) }),
        delta({ content: CONTENT.slice(cut) }),
        delta({}, "stop"),
        DONE,
      ], GEMINI);
      assert.deepEqual(
        blocks(answer.content),
        [["thinking", THOUGHT], ["text", ANSWER]],
        `cut at ${cut}`,
      );
      assert.equal(answer.stop_reason, "end_turn");
    }
  });

  await t.step("streamed as Google sends it: thought chunks, then the answer", () => {
    const answer = message([
      delta({ role: "assistant", content: "<thought>**Listing the files**\n" }),
      delta({ content: "The user wants a listing; `ls` is enough." }),
      delta({ content: "</thought>" }),
      delta({ content: ANSWER }),
      delta({}, "stop"),
      DONE,
    ], GEMINI);
    assert.deepEqual(blocks(answer.content), [["thinking", THOUGHT], ["text", ANSWER]]);
  });

  await t.step("a complete JSON answer", () => {
    const answer = openAIResponseToAnthropic({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "gemini-3-flash-preview",
      choices: [{
        index: 0,
        message: { role: "assistant", content: CONTENT },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 },
    }, { ...OPTIONS, ...GEMINI });
    assert.deepEqual(blocks(answer.content), [["thinking", THOUGHT], ["text", ANSWER]]);
  });
});

Deno.test("each reasoning tag is closed by its own closing tag", () => {
  const split = new ThinkTagSplitter();
  const out = [
    ...split.push("<thought>a </think> b</thought>c <think>d</thought>e</think>f"),
    ...split.flush(),
  ];
  assert.deepEqual(out, [
    { thinking: true, text: "a </think> b" },
    { thinking: false, text: "c " },
    { thinking: true, text: "d</thought>e" },
    { thinking: false, text: "f" },
  ]);
});
