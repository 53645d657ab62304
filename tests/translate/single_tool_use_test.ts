/** `disable_parallel_tool_use` applied to a translated answer: the blocks after the first call go. */

import assert from "node:assert/strict";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import {
  keepFirstToolUse,
  SingleToolUseFilter,
} from "../../src/translate/anthropic/single_tool_use.ts";

const call = (index: number, id: string): AnthropicStreamEvent[] => [
  {
    type: "content_block_start",
    index,
    content_block: { type: "tool_use", id, name: "Read", input: {} },
  },
  { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "{}" } },
  { type: "content_block_stop", index },
];
const text: AnthropicStreamEvent[] = [
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Reading." } },
  { type: "content_block_stop", index: 0 },
];
const END: AnthropicStreamEvent[] = [
  { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null } } as never,
  { type: "message_stop" },
];

Deno.test("stream: text and the first call go out, later calls do not, the end does", () => {
  const filter = new SingleToolUseFilter();
  const events = [...text, ...call(1, "toolu_a"), ...call(2, "toolu_b"), ...END];
  const out = events.flatMap((e) => filter.push([e]));
  assert.deepEqual(out, [...text, ...call(1, "toolu_a"), ...END]);
});

Deno.test("message: cut after the first tool_use; one call left as it was", () => {
  const base = {
    id: "msg_1",
    type: "message" as const,
    role: "assistant" as const,
    model: "claude-x",
    stop_reason: "tool_use" as const,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {} as never,
  };
  const a = { type: "tool_use" as const, id: "toolu_a", name: "Read", input: {} };
  const b = { ...a, id: "toolu_b" };
  const two = { ...base, content: [{ type: "text" as const, text: "x" }, a, b] };
  assert.deepEqual(keepFirstToolUse(two).content, [{ type: "text", text: "x" }, a]);
  const one = { ...base, content: [a] };
  assert.equal(keepFirstToolUse(one), one);
});
