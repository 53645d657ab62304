/**
 * Anthropic → Gemini request mapping of thinking: `thinking` and `output_config.effort` to
 * thinkingConfig per model family, and thought signatures replayed on the parts they came with.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import { SKIP_SIGNATURE } from "../../../src/translate/gemini/contents.ts";
import { encodeGeminiSignature } from "../../../src/translate/gemini/signature.ts";
import { encodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import { req } from "../_request.ts";
import { map } from "./_map.ts";

Deno.test("thinking → thinkingConfig", async (t) => {
  const cfg = (extra: Partial<MessagesRequest>, model: string) =>
    map(req({ max_tokens: 64000, ...extra }), model).generationConfig?.thinkingConfig;
  await t.step("absent → as disabled: off where the model can, else its least", () => {
    assert.deepEqual(cfg({}, "gemini-2.5-flash"), { thinkingBudget: 0 });
    assert.deepEqual(cfg({}, "gemini-2.5-pro"), { thinkingBudget: 128 });
    assert.deepEqual(cfg({}, "gemini-3-pro-preview"), { thinkingLevel: "low" });
    assert.deepEqual(cfg({}, "gemini-3-flash-preview"), { thinkingLevel: "minimal" });
    assert.equal(cfg({}, "gemini-2.0-flash"), undefined);
  });
  await t.step("2.5: an enabled budget is clamped to the model's range", () => {
    const enabled = (n: number) => ({ thinking: { type: "enabled" as const, budget_tokens: n } });
    assert.deepEqual(cfg(enabled(31999), "gemini-2.5-flash"), {
      thinkingBudget: 24576,
      includeThoughts: true,
    });
    assert.deepEqual(cfg(enabled(31999), "gemini-2.5-pro"), {
      thinkingBudget: 31999,
      includeThoughts: true,
    });
    assert.deepEqual(cfg(enabled(100), "gemini-2.5-flash-lite"), {
      thinkingBudget: 512,
      includeThoughts: true,
    });
  });
  await t.step("2.5: adaptive → dynamic, or a budget sized by output_config.effort", () => {
    const adaptive = (effort?: "low" | "medium" | "high" | "xhigh" | "max") => ({
      thinking: { type: "adaptive" as const },
      ...(effort ? { output_config: { effort } } : {}),
    });
    assert.deepEqual(cfg(adaptive(), "gemini-2.5-pro"), {
      thinkingBudget: -1,
      includeThoughts: true,
    });
    assert.equal(cfg(adaptive("low"), "gemini-2.5-flash")?.thinkingBudget, 2048);
    assert.equal(cfg(adaptive("medium"), "gemini-2.5-flash")?.thinkingBudget, 8192);
    assert.equal(cfg(adaptive("high"), "gemini-2.5-flash")?.thinkingBudget, -1);
    assert.equal(cfg(adaptive("max"), "gemini-2.5-pro")?.thinkingBudget, 32768);
    assert.equal(cfg(adaptive("xhigh"), "gemini-2.5-pro")?.thinkingBudget, 32768);
  });
  await t.step("2.5: disabled → budget 0 where allowed, the least budget on 2.5 Pro", () => {
    const off = { thinking: { type: "disabled" as const } };
    assert.deepEqual(cfg(off, "gemini-2.5-flash"), { thinkingBudget: 0 });
    assert.deepEqual(cfg(off, "gemini-2.5-flash-lite"), { thinkingBudget: 0 });
    // 2.5 Pro cannot stop thinking; its dynamic default would think far longer.
    assert.deepEqual(cfg(off, "gemini-2.5-pro"), { thinkingBudget: 128 });
  });
  await t.step("Gemini 3: levels the model supports", () => {
    const adaptive = (effort?: "low" | "medium" | "high" | "xhigh" | "max") => ({
      thinking: { type: "adaptive" as const },
      ...(effort ? { output_config: { effort } } : {}),
    });
    assert.deepEqual(cfg(adaptive(), "gemini-3-pro-preview"), { includeThoughts: true });
    assert.deepEqual(cfg(adaptive("medium"), "gemini-3-pro-preview"), {
      thinkingLevel: "high",
      includeThoughts: true,
    });
    assert.deepEqual(cfg(adaptive("medium"), "gemini-3-flash-preview"), {
      thinkingLevel: "medium",
      includeThoughts: true,
    });
    assert.equal(cfg(adaptive("low"), "gemini-3-pro-preview")?.thinkingLevel, "low");
    assert.equal(cfg(adaptive("xhigh"), "gemini-3-flash-preview")?.thinkingLevel, "high");
    assert.equal(
      cfg({ thinking: { type: "enabled", budget_tokens: 2000 } }, "gemini-3-flash-preview")
        ?.thinkingLevel,
      "low",
    );
    assert.deepEqual(cfg({ thinking: { type: "disabled" } }, "gemini-3-flash-preview"), {
      thinkingLevel: "minimal",
    });
    // Gemini 3 Pro has no off: its least level, rather than its default `high`.
    assert.deepEqual(cfg({ thinking: { type: "disabled" } }, "gemini-3-pro-preview"), {
      thinkingLevel: "low",
    });
  });
  await t.step("Gemini 3.7 Flash and later take low, medium and high only", () => {
    // "minimal" is a 400 there; thinking off sends the least level, as on Pro.
    for (const model of ["gemini-3.7-flash", "gemini-3.8-flash", "gemini-flash-latest"]) {
      assert.deepEqual(cfg({ thinking: { type: "disabled" } }, model), {
        thinkingLevel: "low",
      }, model);
      assert.equal(
        cfg({ thinking: { type: "adaptive" }, output_config: { effort: "low" } }, model)
          ?.thinkingLevel,
        "low",
      );
    }
    // Flash-Lite and 3.6 Flash still have it.
    for (const model of ["gemini-3.5-flash-lite", "gemini-3.6-flash", "gemini-3.8-flash-lite"]) {
      assert.deepEqual(cfg({ thinking: { type: "disabled" } }, model), {
        thinkingLevel: "minimal",
      });
    }
  });
  await t.step(
    'display "omitted": no thought summaries asked for, the level or budget kept',
    () => {
      const omitted = { type: "adaptive" as const, display: "omitted" };
      const effort = { effort: "low" as const };
      assert.deepEqual(
        cfg({ thinking: omitted, output_config: effort }, "gemini-3.1-pro-preview"),
        {
          thinkingLevel: "low",
        },
      );
      assert.deepEqual(cfg({ thinking: omitted, output_config: effort }, "gemini-2.5-flash"), {
        thinkingBudget: 2048,
      });
      assert.deepEqual(
        cfg({
          thinking: { type: "enabled", budget_tokens: 4000, display: "omitted" },
        }, "gemini-2.5-pro"),
        { thinkingBudget: 4000 },
      );
      // Adaptive without an effort leaves everything to the model: no config at all.
      assert.equal(cfg({ thinking: omitted }, "gemini-3-pro-preview"), undefined);
      assert.deepEqual(
        cfg(
          { thinking: { type: "adaptive", display: "updates" }, output_config: effort },
          "gemini-3.1-pro-preview",
        ),
        { thinkingLevel: "low", includeThoughts: true },
      );
    },
  );
  await t.step("an effort ccp does not know counts as none given", () => {
    for (const effort of ["x", "ultra", "toString", "__proto__"]) {
      const unknown = {
        thinking: { type: "adaptive" },
        output_config: { effort },
      } as unknown as Partial<MessagesRequest>;
      assert.deepEqual(cfg(unknown, "gemini-3-pro-preview"), { includeThoughts: true }, effort);
      assert.deepEqual(
        cfg(unknown, "gemini-2.5-pro"),
        { thinkingBudget: -1, includeThoughts: true },
        effort,
      );
    }
  });
  await t.step("models without thinking get no thinkingConfig", () => {
    assert.equal(cfg({ thinking: { type: "adaptive" } }, "gemini-2.0-flash"), undefined);
    assert.equal(cfg({ thinking: { type: "adaptive" } }, "gemma-3-27b-it"), undefined);
  });
});

Deno.test("thinking replay: thought signatures go back on their parts", async (t) => {
  const sign = (over: { provider?: string; model?: string; sig?: string; next?: string }) =>
    encodeGeminiSignature({
      provider: over.provider ?? "gem",
      protocol: "gemini",
      model: over.model ?? "gemini-3-pro-preview",
      ...(over.sig ? { sig: over.sig } : {}),
      ...(over.next ? { next: over.next } : {}),
    });
  const history = (blocks: MessagesRequest["messages"][number]["content"]) =>
    req({
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: blocks },
      ] as MessagesRequest["messages"],
    });
  await t.step("same provider and model: thought part and the call's signature", () => {
    const body = map(
      history([
        { type: "thinking", thinking: "Plan.", signature: sign({ sig: "T1", next: "C1" }) },
        { type: "tool_use", id: "a", name: "Bash", input: { command: "ls" } },
        { type: "thinking", thinking: "", signature: sign({ next: "C2" }) },
        { type: "tool_use", id: "b", name: "Read", input: {} },
      ]),
      "gemini-3-pro-preview",
    );
    assert.deepEqual(body.contents[1]?.parts, [
      { text: "Plan.", thought: true, thoughtSignature: "T1" },
      { functionCall: { name: "Bash", args: { command: "ls" } }, thoughtSignature: "C1" },
      { functionCall: { name: "Read", args: {} }, thoughtSignature: "C2" },
    ]);
  });
  await t.step("a text signature lands on the text that followed the thought", () => {
    const body = map(
      history([
        { type: "thinking", thinking: "Hmm.", signature: sign({ next: "X1" }) },
        { type: "text", text: "Answer." },
      ]),
      "gemini-3-pro-preview",
    );
    assert.deepEqual(body.contents[1]?.parts, [{ text: "Answer.", thoughtSignature: "X1" }]);
  });
  await t.step(
    "reasoning from elsewhere is dropped; Gemini 3 gets the documented placeholder",
    () => {
      const openai = encodeCcpSignature({
        provider: "gem",
        protocol: "openai_chat",
        model: "gemini-3-pro-preview",
        fields: ["reasoning_content"],
      });
      const body = map(
        history([
          {
            type: "thinking",
            thinking: "other provider",
            signature: sign({ provider: "x", next: "N" }),
          },
          {
            type: "thinking",
            thinking: "other model",
            signature: sign({ model: "gemini-2.5-pro" }),
          },
          { type: "thinking", thinking: "chat completions", signature: openai },
          { type: "thinking", thinking: "anthropic", signature: "EqQBCkgIARABGAIiQ" },
          { type: "redacted_thinking", data: "abc" },
          { type: "tool_use", id: "a", name: "Bash", input: {} },
          { type: "tool_use", id: "b", name: "Bash", input: {} },
        ]),
        "gemini-3-pro-preview",
      );
      assert.deepEqual(body.contents[1]?.parts, [
        { functionCall: { name: "Bash", args: {} }, thoughtSignature: SKIP_SIGNATURE },
        { functionCall: { name: "Bash", args: {} } },
      ]);
    },
  );
  await t.step("2.x models get no placeholder", () => {
    const body = map(
      history([{ type: "tool_use", id: "a", name: "Bash", input: {} }]),
      "gemini-2.5-flash",
    );
    assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "Bash", args: {} } }]);
  });
  await t.step("a dated model name of the same family still matches", () => {
    const body = map(
      history([
        {
          type: "thinking",
          thinking: "x",
          signature: sign({ model: "gemini-2.5-flash", sig: "S" }),
        },
        { type: "text", text: "y" },
      ]),
      "gemini-2.5-flash-20260101",
    );
    assert.deepEqual(body.contents[1]?.parts, [
      { text: "x", thought: true, thoughtSignature: "S" },
      { text: "y" },
    ]);
  });
});
