/**
 * Real Claude Code (`claude -p`) through ccp against an Anthropic-compatible gateway whose streams
 * go from their last block to `message_stop` with no `message_delta` at all. Claude Code runs the
 * call either way, but keeps an assistant message whose stop reason is null as one still being
 * streamed, and its result reports that null reason and no output: ccp ends each answer as
 * Anthropic does. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claude, ev, writeThroughGateway } from "../helpers/gateway_write.ts";

function start(id: string): string {
  return ev({
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model: "gw-model",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 9300, output_tokens: 0 },
    },
  });
}

/** A Write call, its block stopped, then message_stop: no message_delta. */
function writeCall(target: string, content: string): string {
  const input = JSON.stringify({ file_path: target, content });
  return [
    start("msg_call"),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "I'll write the file." },
    }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_gw_1", name: "Write", input: {} },
    }),
    ev({
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: input },
    }),
    ev({ type: "content_block_stop", index: 1 }),
    ev({ type: "message_stop" }),
  ].join("");
}

/** A short final answer, no message_delta. */
function finalAnswer(text: string): string {
  return [
    start("msg_final"),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({ type: "message_stop" }),
  ].join("");
}

Deno.test({
  name: "real Claude Code: a gateway answer with no message_delta",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    writeThroughGateway({ call: writeCall, final: finalAnswer }, async ({ result, said, home }) => {
      // What Claude Code reports of the session: it finished, with output counted.
      assert.equal(result.stop_reason, "end_turn", said);
      assert.ok(result.usage.output_tokens > 0, JSON.stringify(result.usage));
      // The session's transcript: the stop reason each answer's messages were kept with.
      const kept: unknown[][] = [];
      for await (const dir of Deno.readDir(`${home}/.claude/projects`)) {
        for await (const file of Deno.readDir(`${home}/.claude/projects/${dir.name}`)) {
          if (!file.name.endsWith(".jsonl")) continue;
          const text = await Deno.readTextFile(`${home}/.claude/projects/${dir.name}/${file.name}`);
          for (const line of text.split("\n").filter(Boolean)) {
            const entry = JSON.parse(line);
            if (entry.type !== "assistant") continue;
            const blocks = entry.message.content.map((b: { type: string }) => b.type).join(",");
            kept.push([blocks, entry.message.stop_reason]);
          }
        }
      }
      // Without a message_delta each was kept with a null reason, as if still being streamed.
      assert.deepEqual(kept, [["text", "tool_use"], ["tool_use", "tool_use"], [
        "text",
        "end_turn",
      ]]);
    }),
});
