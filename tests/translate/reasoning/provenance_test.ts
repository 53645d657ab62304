import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";
import {
  decodeCcpSignature,
  encodeCcpSignature,
  isCcpSignature,
  modelFamily,
  type ReasoningProvenance,
  sameReasoningOrigin,
  stripCcpThinking,
} from "../../../src/translate/reasoning/provenance.ts";

const D = OPENAI_DIALECTS;
const ORIGIN: ReasoningProvenance = {
  provider: "deepseek",
  protocol: "openai_chat",
  model: "deepseek-v4-pro",
  fields: ["reasoning_content"],
};
const SIG = encodeCcpSignature(ORIGIN);

function toolTurn(signature: string | undefined, thinking = "plan"): MessagesRequest {
  return {
    model: "claude-x",
    max_tokens: 1000,
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking, ...(signature !== undefined ? { signature } : {}) },
          { type: "tool_use", id: "c1", name: "Bash", input: { command: "ls" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "c1", content: "a b" }] },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "done thinking", signature }, {
          type: "text",
          text: "Done.",
        }],
      },
      { role: "user", content: "thanks" },
    ],
  };
}

Deno.test("signatures encode provenance", async (t) => {
  await t.step("round trip, with native details", () => {
    const withDetails = {
      ...ORIGIN,
      details: [{ type: "reasoning.encrypted", data: "x".repeat(100_000) }],
    };
    const sig = encodeCcpSignature(withDetails);
    assert.ok(sig.startsWith("ccp:v1:"));
    assert.match(sig.slice(7), /^[A-Za-z0-9_-]+$/, "base64url");
    assert.deepEqual(decodeCcpSignature(sig), withDetails);
  });
  await t.step("foreign, malformed and missing signatures decode to null", () => {
    assert.equal(decodeCcpSignature("EuYBCkQYAiJAabc"), null);
    assert.equal(decodeCcpSignature("ccp:v1:!!!"), null);
    assert.equal(decodeCcpSignature(undefined), null);
    assert.ok(isCcpSignature(SIG));
    assert.ok(!isCcpSignature("EuYBCkQYAiJA"));
    assert.ok(!isCcpSignature(42));
  });
  await t.step("model family ignores org prefix, case, tags and date stamps", () => {
    assert.equal(modelFamily("deepseek-ai/DeepSeek-V4-Pro"), "deepseek-v4-pro");
    assert.equal(modelFamily("deepseek-v4-pro-2026-01-05"), "deepseek-v4-pro");
    assert.equal(modelFamily("kimi-k2-0905"), modelFamily("moonshotai/kimi-k2-0711"));
    assert.notEqual(modelFamily("deepseek-v4-flash"), modelFamily("deepseek-v4-pro"));
    assert.equal(modelFamily("qwen/qwen3-32b:free"), "qwen3-32b");
  });
});

Deno.test("reasoning replay", async (t) => {
  const target = { provider: "deepseek", model: "deepseek-v4-pro" };
  await t.step("same provider and family: reasoning_content on every turn of a tool span", () => {
    const body = toOpenAIChatRequest(toolTurn(SIG), { dialect: D.deepseek, ...target });
    const [first, second] = body.messages.filter((m) => m.role === "assistant");
    assert.equal(first?.role === "assistant" && first.reasoning_content, "plan");
    assert.equal(
      second?.role === "assistant" && second.reasoning_content,
      "done thinking",
      "the span's final answer too",
    );
  });
  await t.step("DeepSeek V4 on OpenRouter: by span too, in OpenRouter's field", () => {
    const body = toOpenAIChatRequest(toolTurn("EuYBCkQYAiJA"), {
      dialect: D.openrouter,
      provider: "or",
      model: "deepseek/deepseek-v4-pro",
    });
    const turns = body.messages.filter((m) => m.role === "assistant");
    assert.deepEqual(turns.map((m) => m.role === "assistant" && m.reasoning), [" ", " "]);
    const other = toOpenAIChatRequest(toolTurn("EuYBCkQYAiJA"), {
      dialect: D.openrouter,
      provider: "or",
      model: "z-ai/glm-4.6",
    });
    const [, final] = other.messages.filter((m) => m.role === "assistant");
    assert.ok(final?.role === "assistant" && final.reasoning === undefined, "others: tool turns");
  });
  await t.step("Kimi: on tool-call turns only", () => {
    const sig = encodeCcpSignature({ ...ORIGIN, provider: "kimi", model: "kimi-k2.6" });
    const body = toOpenAIChatRequest(toolTurn(sig), {
      dialect: D.kimi,
      provider: "kimi",
      model: "kimi-k2.6",
    });
    const [first, second] = body.messages.filter((m) => m.role === "assistant");
    assert.equal(first?.role === "assistant" && first.reasoning_content, "plan");
    assert.ok(second?.role === "assistant" && second.reasoning_content === undefined);
  });
  await t.step(
    "another provider or family: not replayed natively; a tool turn still gets the field",
    () => {
      for (
        const t2 of [{ provider: "kimi", model: "deepseek-v4-pro" }, {
          provider: "deepseek",
          model: "deepseek-v4-flash",
        }]
      ) {
        const body = toOpenAIChatRequest(toolTurn(SIG), { dialect: D.deepseek, ...t2 });
        const first = body.messages.find((m) => m.role === "assistant");
        assert.ok(first?.role === "assistant");
        assert.equal(
          first.reasoning_content,
          " ",
          "DeepSeek/Kimi reject tool turns without the field; DeepSeek V4 an empty one too",
        );
        assert.ok(!JSON.stringify(body).includes("plan"), "foreign reasoning is dropped");
      }
    },
  );
  await t.step("genuine Anthropic and unsigned thinking is never replayed natively", () => {
    for (const sig of ["EuYBCkQYAiJA", undefined]) {
      const body = toOpenAIChatRequest(toolTurn(sig), { dialect: D.deepseek, ...target });
      assert.ok(!JSON.stringify(body).includes("plan"));
    }
  });
  await t.step("providers without replay drop reasoning entirely", () => {
    const body = toOpenAIChatRequest(toolTurn(SIG), { dialect: D.groq, ...target });
    assert.ok(!JSON.stringify(body).includes("reasoning"));
  });
  await t.step("OpenRouter gets its reasoning_details back exactly, plus the text field", () => {
    const details = [{
      type: "reasoning.text",
      text: "plan",
      signature: "sig-1",
      format: "anthropic-claude-v1",
      index: 0,
    }];
    const sig = encodeCcpSignature({
      provider: "or",
      protocol: "openai_chat",
      model: "anthropic/claude-sonnet-4.5",
      fields: ["reasoning", "reasoning_details"],
      details,
    });
    const body = toOpenAIChatRequest(toolTurn(sig), {
      dialect: D.openrouter,
      provider: "or",
      model: "anthropic/claude-sonnet-4.5",
    });
    const first = body.messages.find((m) => m.role === "assistant");
    assert.ok(first?.role === "assistant");
    assert.deepEqual(first.reasoning_details, details);
    assert.equal(first.reasoning, "plan");
  });
  await t.step("<think>-tag reasoning replays through the dialect's replay field", () => {
    const sig = encodeCcpSignature({
      ...ORIGIN,
      provider: "nim",
      model: "z-ai/glm4.7",
      fields: ["think_tag"],
    });
    const body = toOpenAIChatRequest(toolTurn(sig), {
      dialect: D.nvidia_nim,
      provider: "nim",
      model: "z-ai/glm4.7",
    });
    const first = body.messages.find((m) => m.role === "assistant");
    assert.ok(first?.role === "assistant" && first.reasoning_content === "plan");
  });
});

Deno.test("stripCcpThinking", async (t) => {
  await t.step("removes ccp thinking, keeps other blocks and genuine signatures", () => {
    const request: MessagesRequest = {
      model: "claude-x",
      max_tokens: 10,
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "mine", signature: SIG },
            { type: "thinking", thinking: "theirs", signature: "EuYBCkQYAiJA" },
            { type: "text", text: "A" },
          ],
        },
        { role: "assistant", content: [{ type: "thinking", thinking: "only", signature: SIG }] },
        { role: "user", content: "next" },
      ],
    };
    const before = structuredClone(request);
    const out = stripCcpThinking(request);
    assert.deepEqual(request, before, "input not mutated");
    assert.deepEqual(out.messages, [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "theirs", signature: "EuYBCkQYAiJA" }, {
          type: "text",
          text: "A",
        }],
      },
      { role: "user", content: "next" },
    ]);
  });
  await t.step("returns the same object when there is nothing to strip", () => {
    const request: MessagesRequest = {
      model: "m",
      max_tokens: 1,
      messages: [{ role: "user", content: "x" }],
    };
    assert.equal(stripCcpThinking(request), request);
  });
});

Deno.test("reasoning tagged with the server that made it is that server's alone", () => {
  const tagged = decodeCcpSignature(encodeCcpSignature({ ...ORIGIN, server: "a1b2c3" }))!;
  assert.equal(tagged.server, "a1b2c3");
  assert.equal(sameReasoningOrigin(tagged, "deepseek", "deepseek-v4-pro", "a1b2c3"), true);
  // The provider id now points at another server (a reload moved it).
  assert.equal(sameReasoningOrigin(tagged, "deepseek", "deepseek-v4-pro", "ffffff"), false);
  // A signature made before servers were tagged still goes back to its provider and family.
  assert.equal(sameReasoningOrigin(ORIGIN, "deepseek", "deepseek-v4-pro", "ffffff"), true);
  // A reload renamed the provider: the same server still gets its own reasoning back.
  assert.equal(sameReasoningOrigin(tagged, "other", "deepseek-v4-pro", "a1b2c3"), true);
  // Untagged on either side, the provider id decides.
  assert.equal(sameReasoningOrigin(ORIGIN, "other", "deepseek-v4-pro", "a1b2c3"), false);
  assert.equal(sameReasoningOrigin(tagged, "other", "deepseek-v4-pro"), false);
});
