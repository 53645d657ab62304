import assert from "node:assert/strict";
import { assertAnthropicGrammar, type GrammarEvent } from "./anthropic_grammar.ts";

const ev = (event: string, data: Record<string, unknown> = {}): GrammarEvent => ({
  event,
  data: { type: event, ...data },
});
const START = ev("message_start", {
  message: {
    type: "message",
    role: "assistant",
    content: [],
    usage: { input_tokens: 1, output_tokens: 0 },
  },
});
const text = (index: number): GrammarEvent[] => [
  ev("content_block_start", { index, content_block: { type: "text", text: "" } }),
  ev("content_block_delta", { index, delta: { type: "text_delta", text: "hi" } }),
  ev("content_block_stop", { index }),
];
const tool = (index: number, pieces: string[]): GrammarEvent[] => [
  ev("content_block_start", { index, content_block: { type: "tool_use", input: {} } }),
  ...pieces.map((partial_json) =>
    ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } })
  ),
  ev("content_block_stop", { index }),
];
const DELTA = ev("message_delta", {
  delta: { stop_reason: "end_turn" },
  usage: { output_tokens: 2 },
});
const STOP = ev("message_stop");
const ERROR = ev("error", { error: { type: "overloaded_error", message: "Overloaded" } });

const check = (events: GrammarEvent[]) => assertAnthropicGrammar(events, { ccp: false });

Deno.test("the grammar takes Anthropic's streams: pings anywhere, empty tool input, an error", () => {
  check([ev("ping"), START, ev("ping"), ...text(0), ev("ping"), ...tool(1, []), DELTA, STOP]);
  check([START, ...tool(0, ['{"a":', '"é"}']), DELTA, ev("ping"), STOP]);
  check([ERROR]);
  check([START, ...text(0).slice(0, 2), ERROR]);
});

Deno.test("the grammar refuses what Anthropic never sends", () => {
  const bad: Record<string, GrammarEvent[]> = {
    "no message_start": [...text(0), DELTA, STOP],
    "an index gap": [START, ...text(1), DELTA, STOP],
    "a block started before the last stopped": [START, ...text(0).slice(0, 2), ...text(1)],
    "a delta of another type": [
      START,
      ...tool(0, []).slice(0, 1),
      ...text(0).slice(1),
      DELTA,
      STOP,
    ],
    "tool input not JSON": [START, ...tool(0, ['{"a":']), DELTA, STOP],
    "tool input not an object": [START, ...tool(0, ["[1]"]), DELTA, STOP],
    "two message_deltas": [START, DELTA, DELTA, STOP],
    "a stop reason Anthropic does not define": [
      START,
      ev("message_delta", { delta: { stop_reason: "length" }, usage: { output_tokens: 1 } }),
      STOP,
    ],
    "no usage in message_delta": [
      START,
      ev("message_delta", { delta: { stop_reason: "end_turn" } }),
    ],
    "message_stop without message_delta": [START, STOP],
    "an event after the end": [START, DELTA, STOP, ev("ping")],
    "no end": [START, ...text(0)],
    "an event Anthropic does not define": [START, ev("content_block_finish"), DELTA, STOP],
  };
  for (const [why, events] of Object.entries(bad)) {
    assert.throws(() => check(events), assert.AssertionError, why);
  }
});
