/** Room for reasoning a relayed request did not ask for, from the provider's model knowledge. */

import assert from "node:assert/strict";
import { withUnaskedReasoningRoom } from "../../src/upstream/anthropic/unasked_reasoning.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";

const D = OPENAI_DIALECTS;
const classifier = Object.freeze({
  model: "claude-sonnet-5",
  max_tokens: 64,
  thinking: { type: "disabled" },
  messages: [],
});

Deno.test("withUnaskedReasoningRoom", async (t) => {
  await t.step("a model that reasons anyway gets its allowance on top of max_tokens", () => {
    const to = (dialect = D.openai_compatible, model: string) =>
      withUnaskedReasoningRoom(classifier, { dialect, model }).max_tokens;
    assert.equal(to(D.deepseek, "deepseek-reasoner"), 64 + 8192);
    assert.equal(to(D.openai_compatible, "MiniMax-M2.7"), 64 + 8192);
    assert.equal(to(D.openai_compatible, "kimi-k2-thinking"), 64 + 8192);
    assert.equal(to(D.openrouter, "minimax/minimax-m2"), 64 + 8192);
  });
  await t.step("nothing changes where the off switch works or thinking was asked for", () => {
    const same = (body: Record<string, unknown>, model: string, dialect = D.deepseek) =>
      assert.equal(withUnaskedReasoningRoom(body, { dialect, model }), body);
    same(classifier, "deepseek-chat");
    same(classifier, "claude-sonnet-5", D.openai_compatible);
    same({ ...classifier, thinking: { type: "adaptive" } }, "deepseek-reasoner");
    same({ ...classifier, max_tokens: undefined }, "deepseek-reasoner");
  });
  await t.step("never above the model's limit or beyond its context window", () => {
    const target = { dialect: D.deepseek, model: "deepseek-reasoner" };
    assert.equal(
      withUnaskedReasoningRoom(classifier, { ...target, maxOutputTokens: 2000 }).max_tokens,
      2000,
    );
    assert.equal(
      withUnaskedReasoningRoom(classifier, {
        ...target,
        contextWindow: 64_000,
        inputTokens: 60_000,
      })
        .max_tokens,
      64_000 - 60_000 - 64,
    );
  });
});
