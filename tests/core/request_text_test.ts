/**
 * A request's text, as checked against an upstream's error: its system prompt, its messages' text,
 * tool calls' inputs and tools' results at any depth; not its base64 payloads or signatures; and
 * nothing once the request released it.
 */

import assert from "node:assert/strict";
import { ECHO_MARK, MIN_ECHO } from "../../src/core/echo_runs.ts";
import { RequestText, stringsOf } from "../../src/core/request_text.ts";

const words = (what: string) => `${what}, in words long enough to count as an echo of it`;

const BODY = {
  model: "m",
  max_tokens: 10,
  system: [{ type: "text", text: words("the system prompt") }],
  messages: [
    { role: "system", content: words("a system turn") },
    { role: "user", content: words("a user's plain string") },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: words("the thinking"), signature: "S".repeat(200) },
        { type: "redacted_thinking", data: "R".repeat(200) },
        {
          type: "tool_use",
          id: "toolu_0123456789abcdefghij",
          name: "Bash",
          input: { command: words("a command"), deep: [{ deeper: words("a nested input") }] },
        },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "t", content: words("a tool's result") },
        {
          type: "tool_result",
          tool_use_id: "t2",
          content: [{ type: "text", text: words("a result block") }],
        },
        {
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "B".repeat(200) },
        },
        {
          type: "document",
          source: { type: "text", media_type: "text/plain", data: words("a doc") },
        },
      ],
    },
  ],
  tools: [{ name: "Bash", description: words("a tool's description") }],
};

Deno.test("stringsOf: the system prompt, messages, tool inputs and results, not opaque data", () => {
  const found = [...stringsOf(BODY)];
  for (
    const what of [
      "the system prompt",
      "a system turn",
      "a user's plain string",
      "the thinking",
      "a command",
      "a nested input",
      "a tool's result",
      "a result block",
      "a doc",
    ]
  ) assert.ok(found.includes(words(what)), what);
  assert.ok(found.every((s) => s.length >= MIN_ECHO), "short strings are no echo");
  for (const opaque of ["S", "R", "B"]) {
    assert.ok(!found.includes(opaque.repeat(200)), `${opaque}... is opaque`);
  }
  // The tools' definitions are the client's, not the conversation.
  assert.ok(!found.includes(words("a tool's description")));
  assert.deepEqual([...stringsOf(undefined)], []);
  assert.deepEqual([...stringsOf("text")], []);
});

Deno.test("RequestText: leaves out the request's text until released", () => {
  const text = new RequestText(BODY);
  const error = `refused: "${words("a nested input")}"`;
  assert.equal(text.without(error), `refused: "${ECHO_MARK}"`);
  assert.equal(text.without("short"), "short");
  text.release();
  assert.equal(text.without(error), error);
});
