/**
 * The OpenAI Chat → Anthropic stream translator on the edge cases providers send: tool calls
 * named late, duplicated or written the old way, reasoning and content parts, mid-stream errors,
 * usage in odd places, refusals, extra choices and stop strings. How an answer ends is in
 * stream_end_test.ts.
 */

import assert from "node:assert/strict";
import type { AnthropicMessage } from "../../../src/protocols/anthropic.ts";
import { accumulateAnthropicEvents } from "../../../src/translate/anthropic/accumulate.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import type { UpstreamEvent } from "../../../src/translate/openai_chat/events.ts";
import { OpenAIToAnthropicTranslator } from "../../../src/translate/openai_chat/translator.ts";
import { delta, DONE, message, OPTIONS, run } from "./_translator.ts";

Deno.test("translator edge cases", async (t) => {
  await t.step("a tool name that arrives after the id and first arguments", () => {
    const m = message([
      delta({ tool_calls: [{ index: 0, id: "c1", function: { arguments: '{"a"' } }] }),
      delta({ tool_calls: [{ index: 0, function: { name: "Edit", arguments: ":1}" } }] }),
      delta({}, "tool_calls"),
      DONE,
    ]);
    assert.deepEqual(m.content, [{ type: "tool_use", id: "c1", name: "Edit", input: { a: 1 } }]);
  });
  await t.step("a call that never gets a name is dropped; stop_reason then is end_turn", () => {
    const m = message([
      delta({ content: "hi" }),
      delta({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, "tool_calls"),
      DONE,
    ]);
    assert.deepEqual(m.content, [{ type: "text", text: "hi" }]);
    assert.equal(m.stop_reason, "end_turn");
  });
  await t.step("arguments sent as a JSON object instead of a string", () => {
    const m = message([
      delta({
        tool_calls: [{
          index: 0,
          id: "c",
          function: { name: "X", arguments: { k: "v" } as unknown as string },
        }],
      }),
      delta({}, "tool_calls"),
      DONE,
    ]);
    assert.deepEqual(m.content[0], { type: "tool_use", id: "c", name: "X", input: { k: "v" } });
  });
  await t.step("a duplicate id from the provider gets a fresh one", () => {
    const m = message([
      delta({ tool_calls: [{ index: 0, id: "dup", function: { name: "A", arguments: "{}" } }] }),
      delta({ tool_calls: [{ index: 1, id: "dup", function: { name: "B", arguments: "{}" } }] }),
      delta({}, "tool_calls"),
      DONE,
    ]);
    const ids = m.content.map((b) => (b.type === "tool_use" ? b.id : ""));
    assert.equal(ids[0], "dup");
    assert.match(String(ids[1]), /^toolu_/);
  });
  await t.step(
    "three interleaved calls stream the first live and keep every byte of the others",
    () => {
      const events = run([
        delta({ tool_calls: [{ index: 0, id: "a", function: { name: "A", arguments: '{"x":' } }] }),
        delta({ tool_calls: [{ index: 1, id: "b", function: { name: "B", arguments: '{"y":' } }] }),
        delta({ tool_calls: [{ index: 2, id: "c", function: { name: "C", arguments: '{"z":' } }] }),
        delta({ tool_calls: [{ index: 2, function: { arguments: "3}" } }] }),
        delta({ tool_calls: [{ index: 1, function: { arguments: "2}" } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
        delta({}, "tool_calls"),
        DONE,
      ]);
      const m = accumulateAnthropicEvents(events);
      assert.deepEqual(m.content.map((b) => b.type === "tool_use" && b.input), [
        { x: 1 },
        { y: 2 },
        { z: 3 },
      ]);
      // The first call's first fragment went out before any other call arrived.
      const firstDelta = events.findIndex((e) => e.type === "content_block_delta");
      assert.ok(firstDelta > 0 && firstDelta < 4);
    },
  );
  await t.step("reasoning after a tool call becomes its own thinking block after the tools", () => {
    const m = message([
      delta({ tool_calls: [{ index: 0, id: "a", function: { name: "A", arguments: "{}" } }] }),
      delta({ reasoning_content: "late thought" }),
      delta({}, "tool_calls"),
      DONE,
    ]);
    assert.deepEqual(m.content.map((b) => b.type), ["tool_use", "thinking"]);
  });
  await t.step("Mistral content parts with thinking", () => {
    const m = message([
      delta({
        content: [{
          type: "thinking",
          thinking: [{ type: "text", text: "hmm" }],
        }] as unknown as string,
      }),
      delta({ content: [{ type: "text", text: "ok" }] as unknown as string }, "stop"),
      DONE,
    ]);
    assert.deepEqual(m.content.map((b) => b.type), ["thinking", "text"]);
  });
  await t.step("finish_reason error ends with an error event", () => {
    const events = run([delta({ content: "x" }), delta({}, "error")]);
    assert.equal(events.at(-1)?.type, "error");
  });
  await t.step("a mid-stream error's code goes through the one status table", () => {
    const table: Array<[string | number | undefined, string]> = [
      [401, "api_error"],
      ["401", "api_error"],
      ["403", "api_error"],
      [429, "rate_limit_error"],
      ["429", "rate_limit_error"],
      ["529", "overloaded_error"],
      ["invalid_api_key", "api_error"],
      [undefined, "api_error"],
    ];
    for (const [code, type] of table) {
      const events = run([delta({ content: "x" }), { kind: "error", message: "m", code }]);
      const last = events.at(-1);
      assert.equal(last?.type === "error" ? last.error.type : undefined, type, String(code));
    }
  });
  await t.step(
    "a mid-stream overload, with no status, a server error's or a 429, is overloaded_error, as Anthropic sends",
    () => {
      const table: Array<[{ message: string; code?: string | number; type?: string }, string]> = [
        [
          { message: "That model is currently overloaded with other requests." },
          "overloaded_error",
        ],
        [{ message: "Overloaded", type: "server_error" }, "overloaded_error"],
        [
          { message: "no capacity available for this model", code: "server_error" },
          "overloaded_error",
        ],
        [{ message: "m", code: "server_is_overloaded" }, "overloaded_error"],
        // A server error's status that says so too, as a gateway relays an overload mid-stream.
        [{ message: "The server is overloaded", code: 503 }, "overloaded_error"],
        [{ message: "Overloaded", code: "503" }, "overloaded_error"],
        [{ message: "no capacity left", code: 500 }, "overloaded_error"],
        // A 429 whose words say the provider is out of capacity, as before the stream (529).
        [{ message: "The engine is currently overloaded", code: 429 }, "overloaded_error"],
        [{ message: "overloaded", code: "rate_limit_exceeded" }, "overloaded_error"],
        [{ message: "Server is busy, try again later", code: "429" }, "overloaded_error"],
        // Every other error keeps its type: another status, a named code, other words.
        [{ message: "Service Unavailable", code: 503 }, "api_error"],
        [{ message: "overloaded", code: 401 }, "api_error"],
        [{ message: "Rate limit reached for requests per min", code: 429 }, "rate_limit_error"],
        [{ message: "m", code: "rate_limit_exceeded" }, "rate_limit_error"],
        [{ message: "The server had an error while processing your request" }, "api_error"],
      ];
      for (const [error, type] of table) {
        const events = run([delta({ content: "x" }), { kind: "error", ...error }]);
        const last = events.at(-1);
        assert.equal(last?.type === "error" ? last.error.type : undefined, type, error.message);
      }
    },
  );
  await t.step("a mid-stream error names the provider and the model", () => {
    const last = run([delta({ content: "x" }), { kind: "error", message: "busy" }]).at(-1);
    assert.equal(
      last?.type === "error" ? last.error.message : undefined,
      `Upstream provider "p" (model ${OPTIONS.upstreamModel}) reported an error mid-stream: busy`,
    );
  });
  await t.step("a mid-stream error's string code or type is classified too", () => {
    const table: Array<[UpstreamEvent, string]> = [
      [{ kind: "error", message: "m", code: "rate_limit_exceeded" }, "rate_limit_error"],
      [{ kind: "error", message: "m", type: "invalid_request_error" }, "invalid_request_error"],
      [{ kind: "error", message: "m", code: "server_error", type: "server_error" }, "api_error"],
      // Groq: the model wrote a broken tool call; another try can succeed, so not the request's fault
      [
        { kind: "error", message: "m", code: "tool_use_failed", type: "invalid_request_error" },
        "api_error",
      ],
    ];
    for (const [event, type] of table) {
      const last = run([delta({ content: "x" }), event]).at(-1);
      assert.equal(last?.type === "error" ? last.error.type : undefined, type, event.kind);
    }
  });
  await t.step("a mid-stream context overflow leads with Anthropic's sentence", () => {
    const cases: Array<[UpstreamEvent, RegExp]> = [
      [
        {
          kind: "error",
          message: "This model's maximum context length is 8192 tokens. However, you requested " +
            "9000 tokens (8000 in the messages, 1000 in the completion).",
          code: "context_length_exceeded",
          type: "invalid_request_error",
        },
        /^input length and `max_tokens` exceed context limit: 8000 \+ 1000 > 8192, .*maximum context length is 8192/,
      ],
      [{
        kind: "error",
        message: "request (9000 tokens) exceeds the available context size (8192 tokens)",
        code: 400,
      }, /^prompt is too long: 9000 tokens > 8192 maximum \(Upstream provider "p" /],
      // LM Studio: `{"error": "<words>"}`, with neither code nor type
      [
        { kind: "error", message: "Context size has been exceeded." },
        /^prompt is too long \(Upstream provider "p" .*: Context size has been exceeded\.\)$/,
      ],
    ];
    for (const [event, pattern] of cases) {
      const last = run([event]).at(-1);
      assert.equal(last?.type, "error");
      if (last?.type !== "error") continue;
      assert.equal(last.error.type, "invalid_request_error");
      assert.match(last.error.message, pattern);
    }
  });
  await t.step("a streamed legacy function_call is one tool call", () => {
    const m = message([
      delta({ function_call: { name: "Bash", arguments: '{"command":' } }),
      delta({ function_call: { arguments: '"ls"}' } }),
      delta({}, "function_call"),
      DONE,
    ]);
    assert.equal(m.stop_reason, "tool_use");
    assert.deepEqual(m.content.map((b) => b.type === "tool_use" ? [b.name, b.input] : b.type), [
      ["Bash", { command: "ls" }],
    ]);
  });
  await t.step("usage inside the finishing choice counts (Moonshot)", () => {
    const usage = { prompt_tokens: 100, completion_tokens: 20, cached_tokens: 60 };
    const m = message([
      delta({ content: "hi" }),
      {
        kind: "chunk",
        chunk: { choices: [{ index: 0, delta: {}, finish_reason: "stop", usage }] },
      },
      DONE,
    ]);
    assert.equal(m.usage.input_tokens, 40);
    assert.equal(m.usage.cache_read_input_tokens, 60);
    assert.equal(m.usage.output_tokens, 20);
  });
  await t.step("a top-level usage wins over the choice's", () => {
    const m = message([
      delta({ content: "hi" }),
      {
        kind: "chunk",
        chunk: {
          choices: [{
            index: 0,
            delta: {},
            finish_reason: "stop",
            usage: { completion_tokens: 1 },
          }],
          usage: { prompt_tokens: 100, completion_tokens: 20 },
        },
      },
      DONE,
    ]);
    assert.equal(m.usage.output_tokens, 20);
  });
  await t.step("a later usage without counts leaves the counts already read", () => {
    const m = message([
      delta({ content: "hi" }, "stop"),
      {
        kind: "chunk",
        chunk: { choices: [], usage: { prompt_tokens: 100, completion_tokens: 20 } },
      },
      { kind: "chunk", chunk: { choices: [], usage: {} } },
      DONE,
    ]);
    assert.equal(m.usage.input_tokens, 100);
    assert.equal(m.usage.output_tokens, 20);
  });
  await t.step("a streamed refusal is text, as in a JSON answer", () => {
    const m = message([
      delta({ role: "assistant", content: null, refusal: "" }),
      delta({ refusal: "I'm sorry, " }),
      delta({ refusal: "I can't help." }, "stop"),
      DONE,
    ]);
    assert.deepEqual(m.content, [{ type: "text", text: "I'm sorry, I can't help." }]);
    assert.equal(m.stop_reason, "end_turn");
  });
  await t.step(
    "without index or id, a named fragment after complete arguments is a new call",
    () => {
      const fn = (name: string | undefined, args: string) => ({
        type: "function",
        function: { ...(name ? { name } : {}), arguments: args },
      });
      const calls = (m: AnthropicMessage) =>
        m.content.map((b) => b.type === "tool_use" ? [b.name, b.input] : b.type);
      // one call per chunk, and two calls in one chunk
      const apart = message([
        delta({ tool_calls: [fn("Read", '{"a":'), fn(undefined, "1}")] }),
        delta({ tool_calls: [fn("Read", '{"a":2}')] }, "tool_calls"),
        DONE,
      ]);
      assert.deepEqual(calls(apart), [["Read", { a: 1 }], ["Read", { a: 2 }]]);
      // the whole arguments sent again with the name are the same call, not a second one
      const resent = message([
        delta({ tool_calls: [fn("Read", '{"a":1}')] }),
        delta({ tool_calls: [fn("Read", '{"a": 1}')] }, "tool_calls"),
        DONE,
      ]);
      assert.deepEqual(calls(resent), [["Read", { a: 1 }]]);
    },
  );
  await t.step("extra choices (n > 1) are ignored", () => {
    const m = message([
      {
        kind: "chunk",
        chunk: {
          choices: [{ index: 1, delta: { content: "other" } }, {
            index: 0,
            delta: { content: "mine" },
          }],
        },
      },
      delta({}, "stop"),
      DONE,
    ]);
    assert.deepEqual(m.content, [{ type: "text", text: "mine" }]);
  });
  await t.step(
    "think tags are left alone where the dialect says the provider never uses them",
    () => {
      const m = message([delta({ content: "<think>x</think>" }, "stop"), DONE], {
        dialect: { ...DEFAULT_OPENAI_DIALECT, thinkTags: false },
      });
      assert.deepEqual(m.content, [{ type: "text", text: "<think>x</think>" }]);
    },
  );
  await t.step("a stop string the client did not ask for is not a stop_sequence", () => {
    const m = message([
      {
        kind: "chunk",
        chunk: {
          choices: [{
            index: 0,
            delta: { content: "x" },
            finish_reason: "stop",
            matched_stop: "<|im_end|>",
          }],
        },
      },
      DONE,
    ], { stopSequences: ["END"] });
    assert.equal(m.stop_reason, "end_turn");
    assert.equal(m.stop_sequence, null);
  });
  await t.step("tool calls written as plain text by weak models stay text (never invented)", () => {
    const text =
      '● <function=Bash><parameter=command>ls</parameter></function>\n{"name":"Bash","arguments":{}}';
    const m = message([delta({ content: text }, "stop"), DONE]);
    assert.deepEqual(m.content, [{ type: "text", text }]);
    assert.equal(m.stop_reason, "end_turn");
  });
  await t.step("input after the end is ignored", () => {
    const t2 = new OpenAIToAnthropicTranslator(OPTIONS);
    t2.push(delta({ content: "a" }, "stop"));
    assert.ok(t2.push(DONE).length > 0);
    assert.deepEqual(t2.push(delta({ content: "late" })), []);
    assert.deepEqual(t2.end(), []);
  });
});
