/**
 * Property: whatever JSON answer a hostile upstream sends (any value in a well-formed answer
 * replaced by one of another type), the client gets a 2xx that is a well-formed Anthropic
 * message or stream, or an Anthropic error naming the upstream — never a 500 blaming ccp — on
 * every wire protocol, streamed or not. Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { assertWellFormed, parseFrames } from "../translate/_stream_helpers.ts";
import { seeded } from "../helpers/random.ts";
import { everyProtocolApp } from "../helpers/every_protocol.ts";
import { paths, replaced } from "../helpers/odd_values.ts";

// A well-formed answer of each protocol, with every kind of content it can carry.
const ANSWERS: Record<string, Record<string, unknown>> = {
  anthropic: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "up",
    content: [
      { type: "thinking", thinking: "hm", signature: "sig" },
      { type: "text", text: "hi", citations: null },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 0 },
  },
  openai: {
    id: "c",
    model: "m",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "hi",
        reasoning_content: "hm",
        tool_calls: [{
          id: "call_1",
          type: "function",
          function: { name: "Bash", arguments: '{"command":"ls"}' },
        }],
      },
      finish_reason: "tool_calls",
    }],
    usage: {
      prompt_tokens: 3,
      completion_tokens: 1,
      prompt_tokens_details: { cached_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 1 },
    },
  },
  openai_responses: {
    id: "resp_1",
    status: "completed",
    output: [
      {
        id: "rs_1",
        type: "reasoning",
        summary: [{ type: "summary_text", text: "hm" }],
        encrypted_content: "enc",
      },
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "hi", annotations: [] }],
      },
      {
        id: "fc_1",
        type: "function_call",
        call_id: "call_1",
        name: "Bash",
        arguments: '{"command":"ls"}',
      },
    ],
    usage: {
      input_tokens: 3,
      output_tokens: 1,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens_details: { reasoning_tokens: 1 },
    },
  },
  gemini: {
    candidates: [{
      index: 0,
      content: {
        role: "model",
        parts: [
          { text: "hm", thought: true, thoughtSignature: "c2ln" },
          { text: "hi" },
          { functionCall: { name: "Bash", args: { command: "ls" } } },
        ],
      },
      finishReason: "STOP",
    }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, thoughtsTokenCount: 1 },
    promptFeedback: { safetyRatings: [] },
  },
};

const ODD: unknown[] = [null, 0, -1, 1.5, 1e308, "", "x", [], [null], {}, true, { a: 1 }];

function app(answer: () => unknown) {
  return everyProtocolApp(() => Promise.resolve(Response.json(answer())));
}

// Answers that once made ccp fail on its own, checked every run.
const KNOWN: [string, (string | number)[], unknown][] = [
  ["anthropic", ["content", 2], null],
  ["openai_responses", ["output", 0, "summary"], 1.5],
  ["openai_responses", ["output", 1, "content", 0], null],
  ["openai_responses", ["output", 2, "arguments"], [null]],
  ["openai_responses", ["output", 2, "name"], 5],
];

Deno.test("property: any JSON answer gives a sound message, stream or Anthropic error", async (t) => {
  for (const [kind, answer] of Object.entries(ANSWERS)) {
    await t.step(kind, async () => {
      const random = seeded(kind.length * 31);
      let current: unknown = answer;
      const server = app(() => current);
      const all = paths(answer);
      const known = KNOWN.filter(([k]) => k === kind).flatMap(([, path, odd]) => [
        { path, odd, stream: true },
        { path, odd, stream: false },
      ]);
      for (let run = 0; run < 200 + known.length; run++) {
        const next = known[run] ?? {
          path: all[Math.floor(random() * all.length)]!,
          odd: ODD[Math.floor(random() * ODD.length)],
          stream: random() < 0.5,
        };
        current = replaced(answer, next.path, next.odd);
        const stream = next.stream;
        const res = await server.fetch(
          new Request("http://ccp.test/v1/messages", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model: `${kind}/m`,
              max_tokens: 64,
              stream,
              tools: [{ name: "Bash", input_schema: { type: "object" } }],
              messages: [{ role: "user", content: "hi" }],
            }),
          }),
        );
        const text = await res.text();
        const what = `${kind} stream=${stream} ${JSON.stringify(current)}: ${res.status} ${text}`;
        if (res.status >= 400) {
          const error = JSON.parse(text);
          assert.equal(error.type, "error", what);
          assert.doesNotMatch(error.error.message, /Internal error in ccp/, what);
          assert.notEqual(res.status, 500, what);
        } else if (stream && kind === "anthropic") {
          // An Anthropic upstream's own events pass as they are, usage included.
          const names = parseFrames(text).map((f) => f.event);
          assert.equal(names[0], "message_start", what);
          assert.equal(names.at(-1), "message_stop", what);
        } else if (stream) {
          assertWellFormed(parseFrames(text), { toolJson: false });
        } else {
          const message = JSON.parse(text);
          // An Anthropic upstream's message passes as it is; a translated one is ccp's own.
          if (kind !== "anthropic") assert.equal(message.type, "message", what);
          assert.ok(Array.isArray(message.content), what);
        }
      }
    });
  }
});
