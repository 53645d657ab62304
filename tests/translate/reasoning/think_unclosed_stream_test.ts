/**
 * Reasoning a prompt opened (content starts inside `<think>`) streams out as thinking as it
 * arrives, however long the span before `</think>`: each piece is written at once but for a tail
 * that may be the start of `</think>` (at most 7 characters).
 */

import assert from "node:assert/strict";
import { ThinkTagSplitter } from "../../../src/translate/reasoning/think_tags.ts";
import { OpenAIToAnthropicTranslator } from "../../../src/translate/openai_chat/translator.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { delta, DONE, OPTIONS } from "../openai_chat/_translator.ts";

const HELD_AT_MOST = "</think>".length - 1;

/** 1 MiB of reasoning with tag-like text in it (`<`, `</`, `</thin`), in 61-character pieces. */
function longSpan(): string[] {
  const line = "Step: compare a < b, then </thin and </ or <think not closing; go on.\n";
  const span = line.repeat(Math.ceil(1048576 / line.length)).slice(0, 1048576);
  const pieces: string[] = [];
  for (let at = 0; at < span.length; at += 61) pieces.push(span.slice(at, at + 61));
  return pieces;
}

Deno.test("think tags: a 1 MiB span the prompt opened streams as it arrives", () => {
  const splitter = new ThinkTagSplitter(true);
  let fed = 0;
  let thought = "";
  for (const piece of longSpan()) {
    fed += piece.length;
    for (const seg of splitter.push(piece)) {
      assert.ok(seg.thinking, "all of it is reasoning");
      thought += seg.text;
    }
    assert.ok(fed - thought.length <= HELD_AT_MOST, `held ${fed - thought.length} at ${fed}`);
  }
  const end = splitter.push("</think>\n\nThe answer.");
  assert.deepEqual(end, [{ thinking: false, text: "The answer." }]);
  assert.equal(thought, longSpan().join(""));
});

Deno.test("Chat translator: each piece of a 1 MiB unclosed span is a thinking delta at once", () => {
  const t = new OpenAIToAnthropicTranslator({
    ...OPTIONS,
    dialect: OPENAI_DIALECTS.local,
    upstreamModel: "qwq-32b",
  });
  let fed = 0;
  let streamed = 0;
  for (const piece of longSpan()) {
    fed += piece.length;
    for (const e of t.push(delta({ content: piece }))) {
      if (e.type === "content_block_delta" && e.delta.type === "thinking_delta") {
        streamed += e.delta.thinking.length;
      } else assert.ok(e.type === "message_start" || e.type === "content_block_start", e.type);
    }
    assert.ok(fed - streamed <= HELD_AT_MOST, `held ${fed - streamed} at ${fed}`);
  }
  const rest = [delta({ content: "</think>Done." }), delta({}, "stop"), DONE].flatMap((e) =>
    t.push(e)
  );
  const text = rest.flatMap((e) =>
    e.type === "content_block_delta" && e.delta.type === "text_delta" ? [e.delta.text] : []
  );
  assert.deepEqual(text, ["Done."]);
});
