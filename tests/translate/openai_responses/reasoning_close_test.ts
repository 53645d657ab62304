/**
 * A Responses reasoning item ends with its `response.output_item.done` (after its summary parts):
 * the thinking block closes there, signed with the item, not when the next item's first delta
 * arrives, so Claude Code shows the thinking as finished while the model goes on working. Event
 * order and indexes are those a late close gave.
 */

import assert from "node:assert/strict";
import { ResponsesToAnthropicTranslator } from "../../../src/translate/openai_responses/translator.ts";
import type { ResponsesStreamEvent } from "../../../src/protocols/openai_responses.ts";
import type { AnthropicStreamEvent } from "../../../src/protocols/anthropic.ts";
import { decodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";

const OPTIONS = {
  clientModel: "claude-opus-5-5",
  inputTokens: 10,
  provider: "codex",
  upstreamModel: "gpt-5.1-codex",
  messageId: "msg_1",
};

const ev = (type: string, data: Record<string, unknown> = {}) =>
  ({ type, ...data }) as ResponsesStreamEvent;

/** A reasoning item with two summary parts, as the documented stream carries it. */
function reasoningItem(id: string, parts: string[], encrypted?: string): ResponsesStreamEvent[] {
  const at = { item_id: id, output_index: 0 };
  return [
    ev("response.output_item.added", {
      output_index: 0,
      item: { id, type: "reasoning", summary: [] },
    }),
    ...parts.flatMap((text, summary_index) => [
      ev("response.reasoning_summary_part.added", { ...at, summary_index }),
      ev("response.reasoning_summary_text.delta", { ...at, summary_index, delta: text }),
      ev("response.reasoning_summary_text.done", { ...at, summary_index, text }),
      ev("response.reasoning_summary_part.done", { ...at, summary_index }),
    ]),
    ev("response.output_item.done", {
      output_index: 0,
      item: {
        id,
        type: "reasoning",
        summary: parts.map((text) => ({ type: "summary_text", text })),
        ...(encrypted ? { encrypted_content: encrypted } : {}),
      },
    }),
  ];
}

const shape = (e: AnthropicStreamEvent): string => {
  const index = "index" in e ? `@${e.index}` : "";
  const delta = e.type === "content_block_delta" ? `:${e.delta.type}` : "";
  return `${e.type}${index}${delta}`;
};

Deno.test("responses: a reasoning item's thinking block closes when the item is done", () => {
  const t = new ResponsesToAnthropicTranslator(OPTIONS);
  const first = t.push(ev("response.created", { response: { id: "resp_1" } }));
  assert.deepEqual(first.map(shape), ["message_start"]);
  const items = reasoningItem("rs_1", ["**Plan**", "Then act."], "gAAAA-enc");
  const done = items.pop()!;
  const during = items.flatMap((e) => t.push(e));
  // The summary parts stream as they come; a part's end is a paragraph, not the block's end.
  assert.deepEqual(during.map(shape), [
    "content_block_start@0",
    "content_block_delta@0:thinking_delta",
    "content_block_delta@0:thinking_delta",
  ]);
  const closed = t.push(done);
  assert.deepEqual(closed.map(shape), [
    "content_block_delta@0:signature_delta",
    "content_block_stop@0",
  ]);
  const signature = closed[0]!.type === "content_block_delta" &&
      closed[0]!.delta.type === "signature_delta"
    ? closed[0]!.delta.signature
    : "";
  assert.deepEqual(decodeCcpSignature(signature)?.details, [
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "**Plan**" }, {
        type: "summary_text",
        text: "Then act.",
      }],
      encrypted_content: "gAAAA-enc",
    },
  ]);

  // A second reasoning item, one without encrypted content, then the answer's text.
  const rest = [
    ...reasoningItem("rs_2", ["More."]),
    ev("response.output_item.added", { output_index: 1, item: { id: "msg_1", type: "message" } }),
    ev("response.output_text.delta", { item_id: "msg_1", output_index: 1, delta: "Done." }),
    ev("response.completed", { response: { id: "resp_1", status: "completed", output: [] } }),
  ].flatMap((e) => t.push(e));
  assert.deepEqual(rest.map(shape), [
    "content_block_start@1",
    "content_block_delta@1:thinking_delta",
    "content_block_delta@1:signature_delta",
    "content_block_stop@1",
    "content_block_start@2",
    "content_block_delta@2:text_delta",
    "content_block_stop@2",
    "message_delta",
    "message_stop",
  ]);
});
