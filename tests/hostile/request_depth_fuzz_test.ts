/**
 * A request nested thousands of levels deep — tool results, documents, schemas, tool input, an
 * unknown field — gets a 2xx or a 400 that says so, never a 500 from a recursive walk that ran
 * out of stack, on every wire protocol.
 */

import assert from "node:assert/strict";
import { app, assertAnswer, base, MODELS, post } from "./_fuzz_app.ts";

/** `leaf` wrapped `n` times by `wrap`. */
function nested(n: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < n; i++) value = wrap(value);
  return value;
}

const TEXT = { type: "text", text: "x" };
const user = (block: unknown) => [{ role: "user", content: [block] }];

// Requests nested deeper than any recursive walk can follow.
const DEEP: Record<string, Record<string, unknown>> = {
  "tool_result inside tool_result": {
    messages: user(
      nested(20_000, TEXT, (b) => ({ type: "tool_result", tool_use_id: "t", content: [b] })),
    ),
  },
  "the same, with another mistake": {
    max_tokens: 0,
    messages: user(
      nested(2_000, TEXT, (b) => ({ type: "tool_result", tool_use_id: "t", content: [b] })),
    ),
  },
  "document inside document": {
    messages: user(nested(20_000, TEXT, (b) => ({
      type: "document",
      source: { type: "content", content: [b] },
    }))),
  },
  "a tool schema": {
    tools: [{
      name: "t",
      input_schema: nested(20_000, { type: "string" }, (s) => ({
        type: "object",
        properties: { a: s },
      })),
    }],
  },
  "tool input": {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{
        type: "tool_use",
        id: "t",
        name: "x",
        input: nested(20_000, 1, (v) => ({ a: v })),
      }],
    }, { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "ok" }] }],
  },
  "an unknown field": { future: nested(20_000, 1, (v) => [v]) },
};

Deno.test("a request nested thousands of levels deep gets a 2xx or a 400, never a 500", async (t) => {
  const server = app();
  for (const model of MODELS) {
    await t.step(model, async () => {
      for (const [name, over] of Object.entries(DEEP)) {
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          const { status, text } = await post(server, path, { ...base(model), ...over });
          assertAnswer(status, text, `${path} ${name}`);
          if (status >= 400) assert.match(JSON.parse(text).error.message, /nested too deeply/);
        }
      }
    });
  }
});
