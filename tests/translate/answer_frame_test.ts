/** The answer frame every stream translator shares: start once, one end, nothing after it. */

import assert from "node:assert/strict";
import type { AnthropicStreamEvent, StopReason } from "../../src/protocols/anthropic.ts";
import { AnswerFrame } from "../../src/translate/anthropic/answer_frame.ts";
import { AnthropicBlockWriter } from "../../src/translate/anthropic/blocks.ts";
import { completeToolCall } from "../../src/translate/openai_chat/tool_calls.ts";
import { deltaUsage, messageStartEvent } from "../../src/translate/openai_chat/usage.ts";

const START = messageStartEvent({ clientModel: "claude-test", inputTokens: 1, messageId: "m" });
const USAGE = deltaUsage({
  localInputTokens: 1,
  upstream: undefined,
  estimatedOutputTokens: 2,
  reasoningTokensSeparate: false,
  preferLocalInputTokens: false,
});

function frameOf(): { frame: AnswerFrame; blocks: AnthropicBlockWriter } {
  const blocks = new AnthropicBlockWriter(() => "sig");
  return { frame: new AnswerFrame(blocks, () => START), blocks };
}

const types = (events: AnthropicStreamEvent[]) => events.map((e) => e.type);

Deno.test("answer frame: message_start once, and nothing once the answer ended", () => {
  const { frame, blocks } = frameOf();
  const first = frame.run(() => {
    frame.begin();
    frame.begin();
    blocks.text("hi");
  });
  assert.deepEqual(types(first), ["message_start", "content_block_start", "content_block_delta"]);
  const last = frame.run(() => {
    blocks.close();
    frame.finish("stop_sequence", USAGE, "END");
  });
  assert.deepEqual(last.at(1), {
    type: "message_delta",
    delta: {
      stop_reason: "stop_sequence",
      stop_sequence: "END",
      stop_details: null,
      container: null,
    },
    usage: USAGE,
  });
  assert.deepEqual(types(last), ["content_block_stop", "message_delta", "message_stop"]);
  assert.deepEqual(frame.run(() => blocks.text("late")), []);
});

Deno.test("answer frame: a failure closes an open text block first, then one error event", () => {
  const { frame, blocks } = frameOf();
  frame.run(() => {
    frame.begin();
    blocks.text("partial");
  });
  const out = frame.run(() => frame.fail("boom", "overloaded_error"));
  assert.deepEqual(types(out), ["content_block_stop", "error"]);
  assert.deepEqual(out.at(-1), {
    type: "error",
    error: { type: "overloaded_error", message: "boom" },
  });
  assert.ok(frame.done);
});

Deno.test("answer frame: a failure leaves an open tool call's block open (no `{}`, no stop), then one error event", () => {
  const { frame, blocks } = frameOf();
  frame.run(() => {
    frame.begin();
    blocks.startTool(completeToolCall("Read", ""), "toolu_1");
  });
  const out = frame.run(() => frame.fail("boom", "overloaded_error"));
  assert.deepEqual(types(out), ["error"]);
  assert.equal(blocks.toolBlocks, 1);
  assert.ok(frame.done);
});

Deno.test("answer frame: a stream cut off says whether anything came at all", () => {
  const silent = frameOf().frame;
  assert.deepEqual(silent.run(() => silent.cutOff("Upstream x", "Upstream x stopped early")), [{
    type: "error",
    error: { type: "api_error", message: "Upstream x closed the stream without sending any data" },
  }]);
  const begun = frameOf().frame;
  begun.run(() => begun.begin());
  assert.deepEqual(begun.run(() => begun.cutOff("Upstream x", "Upstream x stopped early")), [{
    type: "error",
    error: { type: "api_error", message: "Upstream x stopped early" },
  }]);
});

Deno.test("answer frame: a refusal says so in stop_details, as Anthropic's does; other stops null", () => {
  const end = (reason: StopReason) => {
    const { frame } = frameOf();
    const out = frame.run(() => {
      frame.begin();
      frame.finish(reason, USAGE);
    });
    return out.find((e) => e.type === "message_delta");
  };
  assert.deepEqual(end("refusal"), {
    type: "message_delta",
    delta: {
      stop_reason: "refusal",
      stop_sequence: null,
      stop_details: { type: "refusal", category: null, explanation: null },
      container: null,
    },
    usage: USAGE,
  });
  for (const reason of ["end_turn", "max_tokens", "tool_use"] as const) {
    const e = end(reason);
    assert.ok(e?.type === "message_delta");
    assert.equal(e.delta.stop_details, null, reason);
  }
});
