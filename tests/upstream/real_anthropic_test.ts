import assert from "node:assert/strict";
import {
  forRealAnthropic,
  verifiesSignatures,
} from "../../src/upstream/anthropic/real_anthropic.ts";
import { encodeCcpSignature } from "../../src/translate/mod.ts";

const ccpSig = encodeCcpSignature(
  { provider: "ds", protocol: "openai", model: "deepseek-chat" } as never,
);

function body(lastHasCcpThinking: boolean): Record<string, unknown> {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    thinking: { type: "adaptive" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "genuine", signature: "EqQBCgIYAh" }, {
          type: "text",
          text: "a",
        }],
      },
      { role: "user", content: "more" },
      {
        role: "assistant",
        content: [
          {
            type: "thinking",
            thinking: "from deepseek",
            signature: lastHasCcpThinking ? ccpSig : "EqRealSig",
          },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
    ],
  };
}

Deno.test("real Anthropic: only the preset or api.anthropic.com verify signatures", () => {
  assert.equal(verifiesSignatures({ preset: "anthropic", baseUrl: "https://x" }), true);
  assert.equal(verifiesSignatures({ baseUrl: "https://api.anthropic.com" }), true);
  assert.equal(
    verifiesSignatures({ preset: "zai", baseUrl: "https://api.z.ai/api/anthropic" }),
    false,
  );
});

Deno.test("real Anthropic: genuine history passes untouched (same object)", () => {
  const b = body(false);
  assert.equal(forRealAnthropic(b), b);
});

Deno.test("real Anthropic: ccp-signed thinking removed; thinking switched off when the turn in progress lost it", () => {
  const b = body(true);
  const before = structuredClone(b);
  const out = forRealAnthropic(b);
  assert.deepEqual(b, before, "input not mutated");
  const messages = out.messages as Array<{ content: Array<{ type: string; signature?: string }> }>;
  assert.deepEqual(messages[3]!.content.map((c) => c.type), ["tool_use"]);
  assert.equal(messages[1]!.content[0]!.signature, "EqQBCgIYAh", "genuine signature kept");
  assert.equal(out.thinking, undefined);
  assert.equal(out.context_management, undefined);
});
