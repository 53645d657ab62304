/**
 * The client's limits (disable_parallel_tool_use, then stop_sequences) on many random streamed
 * answers, split into random batches of events: the stream stays well-formed and says what the
 * same limits say of the whole answer as one JSON message, whatever the chunking.
 */

import assert from "node:assert/strict";
import type { AnthropicMessage, AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import {
  cutMessageAtStopSequence,
  StopSequenceCutter,
} from "../../src/translate/anthropic/stop_sequences.ts";
import {
  keepFirstToolUse,
  SingleToolUseFilter,
} from "../../src/translate/anthropic/single_tool_use.ts";
import { messageStartEvent } from "../../src/translate/openai_chat/usage.ts";
import { encodeAnthropicEvents } from "../../src/translate/anthropic/sse.ts";
import { seeded } from "../helpers/random.ts";
import { assertWellFormed, parseFrames } from "./_stream_helpers.ts";

const SEED = 20261206;
const RUNS = 3000;
// Few letters, so that sequences often overlap and often fall across deltas.
const LETTERS = ["a", "b", "X", "Y", "\n", "😀"];

/** A random answer: text, signed thinking and tool_use blocks, its text in random deltas. */
function randomAnswer(random: () => number, sequence: string): AnthropicStreamEvent[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const events: AnthropicStreamEvent[] = [messageStartEvent({ clientModel: "c", inputTokens: 3 })];
  const blocks = 1 + Math.floor(random() * 4);
  for (let index = 0; index < blocks; index++) {
    const kind = random();
    if (kind < 0.6) {
      events.push({
        type: "content_block_start",
        index,
        content_block: { type: "text", text: "" },
      });
      for (let d = Math.floor(random() * 6); d > 0; d--) {
        let text = "";
        for (let n = Math.floor(random() * 4); n > 0; n--) text += pick(LETTERS);
        events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } });
      }
    } else if (kind < 0.8) {
      events.push(
        {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "thinking_delta", thinking: sequence },
        },
        { type: "content_block_delta", index, delta: { type: "signature_delta", signature: "s" } },
      );
    } else {
      events.push(
        {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: `toolu_${index}`, name: "Read", input: {} },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify({ a: sequence }) },
        },
      );
    }
    events.push({ type: "content_block_stop", index });
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: 3,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens_details: null,
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
      },
    } as never,
    { type: "message_stop" },
  );
  return events;
}

/** The message a client builds from `events`. */
function assemble(events: readonly AnthropicStreamEvent[]): AnthropicMessage {
  const content: Record<string, unknown>[] = [];
  let stopReason: unknown = null;
  let stopSequence: unknown = null;
  for (const e of events) {
    if (e.type === "content_block_start") content[e.index] = { ...e.content_block };
    else if (e.type === "content_block_delta") {
      const block = content[e.index]!;
      const d = e.delta;
      if (d.type === "text_delta") block.text = `${block.text}${d.text}`;
      else if (d.type === "thinking_delta") block.thinking = `${block.thinking}${d.thinking}`;
      else if (d.type === "signature_delta") block.signature = d.signature;
      else if (d.type === "input_json_delta") block.input = JSON.parse(d.partial_json);
    } else if (e.type === "message_delta") {
      stopReason = e.delta.stop_reason;
      stopSequence = e.delta.stop_sequence;
    }
  }
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "c",
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: {},
  } as unknown as AnthropicMessage;
}

Deno.test("client limits on random streams: well-formed, and as on the JSON answer", () => {
  const random = seeded(SEED);
  for (let run = 0; run < RUNS; run++) {
    const sequences = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      let s = "";
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) s += LETTERS[Math.floor(random() * 4)];
      return s;
    });
    const events = randomAnswer(random, sequences[0]!);
    const filter = new SingleToolUseFilter();
    const cutter = new StopSequenceCutter(sequences);
    const out: AnthropicStreamEvent[] = [];
    for (let i = 0; i < events.length;) {
      const n = 1 + Math.floor(random() * 3);
      out.push(...cutter.push(filter.push(events.slice(i, i + n))));
      i += n;
    }
    const where = `run ${run}: ${JSON.stringify(sequences)} ${JSON.stringify(events)}`;
    assertWellFormed(parseFrames(new TextDecoder().decode(encodeAnthropicEvents(out))));
    const starts = out.filter((e) => e.type === "content_block_start");
    starts.forEach((e, i) => assert.equal(e.index, i, where));
    assert.equal(out.at(-1)?.type, "message_stop", where);
    const want = cutMessageAtStopSequence(keepFirstToolUse(assemble(events)), sequences);
    const got = assemble(out);
    assert.deepEqual(got.content, want.content, where);
    assert.equal(got.stop_reason, want.stop_reason, where);
    assert.equal(got.stop_sequence, want.stop_sequence, where);
  }
});
