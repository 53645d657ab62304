/**
 * How the OpenAI Chat → Anthropic translator knows an answer has ended: from what the upstream
 * sent (a finish_reason and what may follow it), never from the connection closing; and an
 * answer the server gave up on ends with an error, not a finished turn.
 */

import assert from "node:assert/strict";
import type { UpstreamEvent } from "../../../src/translate/openai_chat/events.ts";
import { OpenAIToAnthropicTranslator } from "../../../src/translate/openai_chat/translator.ts";
import { delta, DONE, OPTIONS, run } from "./_translator.ts";

Deno.test("an answer the server gave up on ends with an error, not a finished turn", async (t) => {
  for (const finish of ["error", "abort", "network_error", "insufficient_system_resource"]) {
    await t.step(`finish_reason "${finish}"`, () => {
      const out = run([delta({ content: "partial an" }), delta({}, finish), DONE]);
      const last = out.at(-1) as { type: string; error?: { message: string } };
      assert.equal(last.type, "error");
      assert.match(last.error!.message, new RegExp(`finish_reason "${finish}"`));
      assert.ok(!out.some((e) => e.type === "message_delta"), "no stop_reason was given");
    });
  }
});

Deno.test("other servers' words for a finished answer end the turn", async (t) => {
  // Together's `eos`, TGI's `eos_token`, and a gateway passing Anthropic's own word on.
  for (const finish of ["eos", "eos_token", "end_turn"]) {
    await t.step(finish, () => {
      const out = run([delta({ content: "done" }), delta({}, finish), DONE]);
      const stop = out.find((e) => e.type === "message_delta") as {
        delta: { stop_reason: string };
      };
      assert.equal(stop.delta.stop_reason, "end_turn");
    });
  }
});

Deno.test("GLM's safety stop is a refusal", () => {
  const out = run([delta({ content: "I" }), delta({}, "sensitive"), DONE]);
  const stop = out.find((e) => e.type === "message_delta") as { delta: { stop_reason: string } };
  assert.equal(stop.delta.stop_reason, "refusal");
});

Deno.test("a full context window is Anthropic's stop reason for it, not a finished turn", async (t) => {
  // GLM's spelling, and Mistral's `model_length` (prompt and output reached the model's window).
  for (const finish of ["model_context_window_exceeded", "model_length"]) {
    await t.step(`finish_reason "${finish}"`, () => {
      const out = run([delta({ content: "partial an" }), delta({}, finish), DONE]);
      const stop = out.find((e) => e.type === "message_delta") as {
        delta: { stop_reason: string };
      };
      assert.equal(stop.delta.stop_reason, "model_context_window_exceeded");
      assert.equal(out.at(-1)?.type, "message_stop");
    });
  }
});

Deno.test("the end of an answer is known from what the upstream sent, not from its close", async (t) => {
  const usageChunk: UpstreamEvent = {
    kind: "chunk",
    chunk: { choices: [], usage: { prompt_tokens: 11, completion_tokens: 5 } },
  };
  await t.step("after a finish_reason, only what may follow is awaited", () => {
    const tr = new OpenAIToAnthropicTranslator(OPTIONS);
    tr.push(delta({ content: "Hello" }));
    assert.equal(tr.finishing, false);
    tr.push(delta({}, "stop"));
    assert.equal(tr.finishing, true);
    assert.equal(tr.done, false);
  });
  await t.step("the usage chunk after the finish completes the answer, without [DONE]", () => {
    const tr = new OpenAIToAnthropicTranslator(OPTIONS);
    tr.push(delta({ content: "Hello" }));
    tr.push(delta({}, "stop"));
    const out = tr.push(usageChunk);
    assert.equal(tr.done, true);
    assert.equal(tr.finishing, false);
    assert.equal(out.at(-1)?.type, "message_stop");
    const stop = out.find((e) => e.type === "message_delta") as {
      usage: { output_tokens: number };
    };
    assert.equal(stop.usage.output_tokens, 5);
    assert.deepEqual(tr.push(DONE), []);
  });
  await t.step("a chunk broken off after the finish costs the count, not the answer", () => {
    const tr = new OpenAIToAnthropicTranslator(OPTIONS);
    tr.push(delta({ content: "Hello" }));
    tr.push(delta({}, "stop"));
    assert.deepEqual(tr.push({ kind: "malformed", detail: "Unterminated string in JSON" }), []);
    const out = tr.end();
    assert.equal(out.at(-1)?.type, "message_stop");
    assert.ok(!out.some((e) => e.type === "error"));
  });
  await t.step("a malformed chunk before the finish still fails the answer", () => {
    const tr = new OpenAIToAnthropicTranslator(OPTIONS);
    tr.push(delta({ content: "Hello" }));
    const out = tr.push({ kind: "malformed", detail: "Unterminated string in JSON" });
    assert.equal(out.at(-1)?.type, "error");
  });
  await t.step("a usage chunk before the finish does not end the answer", () => {
    const tr = new OpenAIToAnthropicTranslator(OPTIONS);
    tr.push(delta({ content: "Hello" }));
    assert.deepEqual(tr.push(usageChunk), []);
    assert.equal(tr.done, false);
  });
});
