/**
 * The client's stop sequences applied to a translated answer: the text ends before the first
 * one, the answer says `stop_sequence` and which, wherever the sequence falls in the deltas.
 */

import assert from "node:assert/strict";
import type { AnthropicMessage, AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import {
  cutMessageAtStopSequence,
  StopSequenceCutter,
  stopSequencesOf,
} from "../../src/translate/anthropic/stop_sequences.ts";
import { messageStartEvent } from "../../src/translate/openai_chat/usage.ts";

const start = messageStartEvent({ clientModel: "claude-x", inputTokens: 7 });
const textStart = (index: number): AnthropicStreamEvent => ({
  type: "content_block_start",
  index,
  content_block: { type: "text", text: "" },
});
const text = (index: number, t: string): AnthropicStreamEvent => ({
  type: "content_block_delta",
  index,
  delta: { type: "text_delta", text: t },
});
const stop = (index: number): AnthropicStreamEvent => ({ type: "content_block_stop", index });
const END: AnthropicStreamEvent[] = [
  { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null } } as never,
  { type: "message_stop" },
];

/** An answer of one text block, written in `pieces`, through a cutter, one event at a time. */
function run(pieces: string[], sequences: string[]): AnthropicStreamEvent[] {
  const cutter = new StopSequenceCutter(sequences);
  const events = [start, textStart(0), ...pieces.map((p) => text(0, p)), stop(0), ...END];
  return events.flatMap((e) => cutter.push([e]));
}

const textOf = (events: AnthropicStreamEvent[]) =>
  events.map((e) =>
    e.type === "content_block_delta" && e.delta.type === "text_delta" ? e.delta.text : ""
  ).join("");
const ending = (events: AnthropicStreamEvent[]) =>
  events.find((e) => e.type === "message_delta") as Extract<
    AnthropicStreamEvent,
    { type: "message_delta" }
  >;

Deno.test("stream: the answer ends before the first stop sequence, split anywhere", async (t) => {
  const answer = "Thought: look it up\nObservation: 42\nThought: done";
  for (let size = 1; size <= 8; size++) {
    await t.step(`pieces of ${size}`, () => {
      const pieces: string[] = [];
      for (let i = 0; i < answer.length; i += size) pieces.push(answer.slice(i, i + size));
      const out = run(pieces, ["\nObservation:", "Final Answer:"]);
      assert.equal(textOf(out), "Thought: look it up");
      assert.deepEqual(ending(out).delta, {
        stop_reason: "stop_sequence",
        stop_sequence: "\nObservation:",
        stop_details: null,
        container: null,
      });
      assert.deepEqual(out.slice(-3).map((e) => e.type), [
        "content_block_stop",
        "message_delta",
        "message_stop",
      ]);
      assert.equal(ending(out).usage.input_tokens, 7);
    });
  }
});

Deno.test("stream: the earliest sequence wins, and nothing follows the end", () => {
  const cutter = new StopSequenceCutter(["END", "B"]);
  const out = cutter.push([start, textStart(0), text(0, "aBcEND"), stop(0), ...END]);
  assert.equal(textOf(out), "a");
  assert.equal(ending(out).delta.stop_sequence, "B");
  assert.equal(cutter.stopped, true);
  assert.deepEqual(cutter.push([text(0, "more")]), []);
});

Deno.test("stream: an answer without a sequence goes out whole, its held text at the block end", () => {
  const out = run(["Hello wor", "ld, EN", "D is not here"], ["ENDS"]);
  assert.equal(textOf(out), "Hello world, END is not here");
  assert.deepEqual(ending(out).delta, { stop_reason: "end_turn", stop_sequence: null });
  assert.equal(out.at(-1)?.type, "message_stop");
});

Deno.test("stream: thinking and tool input are not searched", () => {
  const cutter = new StopSequenceCutter(["STOP"]);
  const out = cutter.push([
    start,
    {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    },
    { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "STOP?" } },
    stop(0),
    {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
    },
    {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"c":"STOP"}' },
    },
    stop(1),
    ...END,
  ]);
  assert.equal(cutter.stopped, false);
  assert.equal(out.length, 9);
});

Deno.test("stream: held text never splits a surrogate pair", () => {
  const out = run(["a😀", "b"], ["xyz"]);
  for (const e of out) {
    if (e.type !== "content_block_delta" || e.delta.type !== "text_delta") continue;
    assert.ok(!/[\ud800-\udbff]$/.test(e.delta.text), JSON.stringify(e.delta.text));
  }
  assert.equal(textOf(out), "a😀b");
});

Deno.test("message: cut at the first sequence; later blocks dropped", () => {
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-x",
    content: [
      { type: "thinking", thinking: "END?", signature: "s" },
      { type: "text", text: "one END two" },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: start.type === "message_start" ? start.message.usage : undefined,
  } as AnthropicMessage;
  const cut = cutMessageAtStopSequence(message, [" END"]);
  assert.deepEqual(cut.content.map((b) => b.type), ["thinking", "text"]);
  assert.deepEqual(cut.content[1], { type: "text", text: "one" });
  assert.equal(cut.stop_reason, "stop_sequence");
  assert.equal(cut.stop_sequence, " END");
  assert.equal(cutMessageAtStopSequence(message, ["absent"]), message);
});

Deno.test("stopSequencesOf keeps non-empty strings only", () => {
  assert.deepEqual(stopSequencesOf(["a", "", 3, null, "b"]), ["a", "b"]);
  assert.deepEqual(stopSequencesOf(undefined), []);
});

Deno.test("stream: a text block that begins with the sequence never opens (no empty text block)", async (t) => {
  // An empty text block in the history is refused by Anthropic on a later turn; the JSON answer
  // leaves it out too.
  for (const pieces of [["\nObservation: 42"], ["\nObs", "ervation: 42"], ["", "\nObservation:"]]) {
    await t.step(JSON.stringify(pieces), () => {
      const out = run(pieces, ["\nObservation:"]);
      assert.deepEqual(out.map((e) => e.type), ["message_start", "message_delta", "message_stop"]);
      assert.equal(ending(out).delta.stop_reason, "stop_sequence");
    });
  }
  await t.step("an empty block without a sequence still opens and closes", () => {
    const out = run([], ["\nObservation:"]);
    assert.deepEqual(out.map((e) => e.type), [
      "message_start",
      "content_block_start",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });
  await t.step("text held back opens the block when it goes out", () => {
    const out = run(["\nObs", "erved."], ["\nObservation:"]);
    assert.deepEqual(out.slice(1, 3).map((e) => e.type), [
      "content_block_start",
      "content_block_delta",
    ]);
    assert.equal(textOf(out), "\nObserved.");
  });
});

Deno.test("the sequence that ends first wins, whatever the chunking, streamed or not", () => {
  // A model stops as soon as its output ends with a sequence: "<b" is complete before "<br>" is.
  const sequences = ["<br>", "r"];
  for (const pieces of [["a<br>x"], ["a<b", "r>x"], ["a", "<", "b", "r", ">x"]]) {
    const out = run(pieces, sequences);
    assert.equal(textOf(out), "a<b", JSON.stringify(pieces));
    assert.equal(ending(out).delta.stop_sequence, "r", JSON.stringify(pieces));
  }
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-x",
    content: [{ type: "text", text: "a<br>x" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {},
  } as unknown as AnthropicMessage;
  const cut = cutMessageAtStopSequence(message, sequences);
  assert.deepEqual(cut.content, [{ type: "text", text: "a<b" }]);
  assert.equal(cut.stop_sequence, "r");
  // Two that end together: the longer one, which began first.
  assert.equal(cutMessageAtStopSequence(message, ["br>", "<br>"]).stop_sequence, "<br>");
});
