/**
 * Limits a client sets on the answer, through ccp to an upstream that did not apply them: the
 * Responses API has no stop sequences, and a server may call tools in parallel anyway. The answer
 * still ends before the sequence and says `stop_sequence` and which, and calls one tool at most,
 * streamed or not.
 */

import assert from "node:assert/strict";
import { startResponsesCcp } from "../helpers/responses_ccp.ts";
import type { ResponsesScript } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames, sdkMessage } from "../translate/_stream_helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const ANSWER = "Thought: I should look.\nObservation: the file has 3 lines\nThought: done";

const setup = (script: ResponsesScript = { items: [{ kind: "text", text: ANSWER }] }) =>
  startResponsesCcp(() => script, "gpt-4.1");

const request = (stream: boolean) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 1000,
  stream,
  stop_sequences: ["\nObservation:"],
  messages: [{ role: "user", content: "go" }],
});

const post = (url: string, body: unknown) => postMessages(url, body);

Deno.test("Responses upstream: stop_sequences end the answer and are named", async (t) => {
  await using env = setup();
  await t.step("streamed", async () => {
    const res = await post(env.ccp.url, request(true));
    assert.equal(res.status, 200);
    const sse = await res.text();
    assertWellFormed(parseFrames(sse));
    const message = await sdkMessage(sse);
    assert.deepEqual(message.content, [{ type: "text", text: "Thought: I should look." }]);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "\nObservation:");
  });
  await t.step("not streamed", async () => {
    const res = await post(env.ccp.url, request(false));
    assert.equal(res.status, 200);
    const message = await res.json();
    assert.deepEqual(message.content, [{ type: "text", text: "Thought: I should look." }]);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "\nObservation:");
  });
  assert.equal(env.mock.requests[0]?.body.stop, undefined, "the API has no stop parameter");
});

Deno.test("Responses upstream: disable_parallel_tool_use keeps the first call only", async (t) => {
  await using env = setup({
    items: [
      { kind: "call", name: "Read", args: '{"file_path":"/a"}', callId: "call_A" },
      { kind: "call", name: "Read", args: '{"file_path":"/b"}', callId: "call_B" },
    ],
  });
  const body = (stream: boolean) => ({
    model: "claude-sonnet-4-5",
    max_tokens: 1000,
    stream,
    tools: [{ name: "Read", input_schema: { type: "object", properties: {} } }],
    tool_choice: { type: "auto", disable_parallel_tool_use: true },
    messages: [{ role: "user", content: "read both" }],
  });
  await t.step("streamed", async () => {
    const res = await post(env.ccp.url, body(true));
    assert.equal(res.status, 200);
    const sse = await res.text();
    assertWellFormed(parseFrames(sse));
    const message = await sdkMessage(sse);
    assert.deepEqual(message.content.map((b) => b.type === "tool_use" && b.input), [{
      file_path: "/a",
    }]);
    assert.equal(message.stop_reason, "tool_use");
  });
  await t.step("not streamed", async () => {
    const message = await (await post(env.ccp.url, body(false))).json();
    assert.equal(message.content.length, 1);
    assert.deepEqual(message.content[0].input, { file_path: "/a" });
    assert.equal(message.stop_reason, "tool_use");
  });
});

Deno.test("Responses upstream: a stop sequence in text after the one call kept does not end it", async (t) => {
  // The text after the call is left out with the calls after it: a sequence found there must not
  // turn the answer's tool_use into stop_sequence (Claude Code would then run no tool).
  await using env = setup({
    items: [
      { kind: "call", name: "Read", args: '{"file_path":"/a"}', callId: "call_A" },
      { kind: "text", text: ANSWER },
    ],
  });
  const body = (stream: boolean) => ({
    ...request(stream),
    tools: [{ name: "Read", input_schema: { type: "object", properties: {} } }],
    tool_choice: { type: "auto", disable_parallel_tool_use: true },
  });
  await t.step("streamed", async () => {
    const sse = await (await post(env.ccp.url, body(true))).text();
    assertWellFormed(parseFrames(sse));
    const message = await sdkMessage(sse);
    assert.deepEqual(message.content.map((b) => b.type), ["tool_use"]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.stop_sequence, null);
  });
  await t.step("not streamed", async () => {
    const message = await (await post(env.ccp.url, body(false))).json();
    assert.deepEqual(message.content.map((b: { type: string }) => b.type), ["tool_use"]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.stop_sequence, null);
  });
});
