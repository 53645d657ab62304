import assert from "node:assert/strict";
import { verifiesSignatures } from "../../src/upstream/anthropic/real_anthropic.ts";
import { encodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";
import { cleaningFor } from "../../src/upstream/cleaning/resolve.ts";
import { findPreset } from "../../src/providers/catalog.ts";

/** What a request to api.anthropic.com goes through after other providers served earlier turns. */
const cleaning = cleaningFor({
  preset: findPreset("anthropic"),
  baseUrl: "https://api.anthropic.com",
});
const forRealAnthropic = (body: Record<string, unknown>) =>
  cleaning.body(body, "claude-sonnet-4-5");

const ccpSig = encodeCcpSignature(
  { provider: "ds", protocol: "openai", model: "deepseek-chat" } as never,
);

function body(
  lastHasCcpThinking: boolean,
  thinking: Record<string, unknown> = { type: "enabled", budget_tokens: 500 },
): Record<string, unknown> {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    thinking,
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

// Claude Code sends thinking blocks without a signature (other proxies make them) back verbatim;
// Anthropic answers 400 on a thinking block it cannot verify.
Deno.test("real Anthropic: thinking with no signature or an empty one is removed", async (t) => {
  for (const [label, signature] of [["missing", undefined], ["empty", ""]] as const) {
    await t.step(label, () => {
      const b = body(false);
      const messages = b.messages as Array<{ content: Array<Record<string, unknown>> }>;
      if (signature === undefined) delete messages[3]!.content[0]!.signature;
      else messages[3]!.content[0]!.signature = signature;
      const out = forRealAnthropic(b);
      const kept = out.messages as Array<{ content: Array<{ type: string; signature?: string }> }>;
      assert.deepEqual(kept[3]!.content.map((c) => c.type), ["tool_use"]);
      assert.equal(kept[1]!.content[0]!.signature, "EqQBCgIYAh", "genuine signature kept");
      assert.equal(out.thinking, undefined, "the turn in progress lost its thinking");
    });
  }
});

Deno.test("real Anthropic preset cleans unsigned thinking; a compatible server keeps it", () => {
  const unsigned = () => {
    const b = body(false);
    const messages = b.messages as Array<{ content: Array<Record<string, unknown>> }>;
    delete messages[3]!.content[0]!.signature;
    return b;
  };
  const anthropic = cleaningFor({ preset: findPreset("anthropic"), baseUrl: "http://127.0.0.1:1" });
  const cleaned = anthropic.body(unsigned(), "m").messages as Array<
    { content: Array<{ type: string }> }
  >;
  assert.deepEqual(cleaned[3]!.content.map((c) => c.type), ["tool_use"]);
  const other = cleaningFor({ baseUrl: "http://127.0.0.1:1" });
  const kept = other.body(unsigned(), "m").messages as Array<{ content: Array<{ type: string }> }>;
  assert.deepEqual(kept[3]!.content.map((c) => c.type), ["thinking", "tool_use"]);
});

Deno.test("real Anthropic: the tool loop after a turn sent without thinking goes on without it", async (t) => {
  // The previous request of this loop went without thinking (its thinking was stripped), so the
  // answer that ends the history has none; with thinking enabled Anthropic would refuse the turn.
  const loop = (thinking: Record<string, unknown>) => ({
    model: "claude-opus-5-5",
    max_tokens: 4000,
    thinking,
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: {} }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
    ],
  });
  await t.step("enabled: thinking goes for this request", () => {
    const out = forRealAnthropic(loop({ type: "enabled", budget_tokens: 2000 }));
    assert.equal(out.thinking, undefined);
  });
  await t.step("adaptive: the model may answer without thinking, the request is kept", () => {
    const b = loop({ type: "adaptive" });
    assert.equal(forRealAnthropic(b), b);
  });
  await t.step("a new prompt after a plain answer keeps thinking", () => {
    const b = {
      ...loop({ type: "enabled", budget_tokens: 2000 }),
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "text", text: "hello" }] },
        { role: "user", content: "go on" },
      ],
    };
    assert.equal(forRealAnthropic(b), b);
  });
});

Deno.test("real Anthropic: a new prompt after a turn another provider answered keeps thinking", async (t) => {
  // The fallback served the last turn (its thinking carries ccp's signature); Anthropic's limit
  // lifted and the user typed the next prompt. That finished turn may go without its thinking,
  // and the new turn keeps thinking (and the cached prompt a settings change would invalidate).
  for (const thinking of [{ type: "adaptive" }, { type: "enabled", budget_tokens: 2000 }]) {
    await t.step(thinking.type, () => {
      const b = {
        model: "claude-opus-5-5",
        max_tokens: 4000,
        thinking,
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [{ type: "thinking", thinking: "from kimi", signature: ccpSig }, {
              type: "text",
              text: "done",
            }],
          },
          { role: "user", content: [{ type: "text", text: "next task" }] },
        ],
      };
      const out = forRealAnthropic(b);
      const messages = out.messages as Array<{ content: Array<{ type: string }> }>;
      assert.deepEqual(messages[1]!.content.map((c) => c.type), ["text"]);
      assert.deepEqual(out.thinking, thinking);
      assert.deepEqual(out.context_management, b.context_management);
    });
  }
});

Deno.test("real Anthropic: adaptive thinking stays when the tool loop's last answer lost its fallback-made thinking", () => {
  // The fallback answered the last step of the loop; its thinking goes. Adaptive thinking lets the
  // model answer a step without thinking, and Anthropic takes such a turn back as it is: switching
  // thinking off would cost this step its thinking and the cached prompt twice (off, then on).
  const b = body(true, { type: "adaptive" });
  const out = forRealAnthropic(b);
  const messages = out.messages as Array<{ content: Array<{ type: string }> }>;
  assert.deepEqual(messages[3]!.content.map((c) => c.type), ["tool_use"]);
  assert.deepEqual(out.thinking, { type: "adaptive" });
  assert.deepEqual(out.context_management, b.context_management);
});
