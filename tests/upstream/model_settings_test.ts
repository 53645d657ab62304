import assert from "node:assert/strict";
import type { ModelSettings } from "../../src/config/types.ts";
import { deepMerge, mergeSettings, settingsFor } from "../../src/config/settings_merge.ts";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { OPENAI_DIALECTS, toOpenAIChatRequest } from "../../src/translate/mod.ts";
import type { OpenAIDialectName } from "../../src/translate/openai_chat/dialects.ts";
import {
  applyModelSettings,
  dialectWithSettings,
  IMAGE_PLACEHOLDER,
  thinkingMode,
  withExactEffort,
  withExtraBody,
} from "../../src/upstream/model_settings.ts";
import { anthropicTransport } from "../../src/upstream/anthropic/transport.ts";
import { geminiTransport } from "../../src/upstream/gemini/transport.ts";
import { openAITransport } from "../../src/upstream/openai_chat/transport.ts";
import type { Transport } from "../../src/upstream/transport.ts";
import { provider } from "../helpers/config.ts";

type Json = Record<string, unknown>;

const base = (over: Json = {}): Json => ({
  model: "claude-sonnet-4-5",
  max_tokens: 64000,
  messages: [{ role: "user", content: "hi" }],
  ...over,
});

const anthropic = (body: Json, s: ModelSettings, inputTokens?: number) =>
  applyModelSettings(body, s, { protocol: "anthropic", inputTokens });

const toChat = (body: Json, s: ModelSettings, dialectName: OpenAIDialectName, model: string) => {
  const dialect = dialectWithSettings(OPENAI_DIALECTS[dialectName], model, s);
  const client = applyModelSettings(body, s, { protocol: "openai" });
  const chat = toOpenAIChatRequest(client as unknown as MessagesRequest, {
    dialect,
    model,
    provider: "p",
    ...(s.maxOutputTokens ? { maxOutputTokens: s.maxOutputTokens } : {}),
  });
  return withExtraBody(withExactEffort(chat, dialect, model, s), s) as Json;
};

const toGemini = (body: Json, s: ModelSettings, model: string) => {
  const client = applyModelSettings(body, s, { protocol: "gemini" });
  const request = toGeminiRequest(client as unknown as MessagesRequest, { provider: "g", model });
  return withExtraBody(request as unknown as Json, s);
};

Deno.test('settings merge: "*" < exact model < variant, key by key', async (t) => {
  const p = {
    modelSettings: {
      "*": { maxOutputTokens: 8000, supports: { images: false }, extraBody: { a: { x: 1 } } },
      m: { maxOutputTokens: 32000, supports: { tools: false }, extraBody: { a: { y: 2 } } },
    },
  };
  await t.step("exact name wins per key, supports and extra_body merge", () => {
    assert.deepEqual(settingsFor(p, "m"), {
      maxOutputTokens: 32000,
      supports: { images: false, tools: false },
      extraBody: { a: { x: 1, y: 2 } },
    });
  });
  await t.step('other models get only "*"', () => {
    assert.equal(settingsFor(p, "other").maxOutputTokens, 8000);
  });
  await t.step("the variant beats both", () => {
    const s = settingsFor(p, "m", { maxOutputTokens: 1000, reasoningEffort: "high" });
    assert.equal(s.maxOutputTokens, 1000);
    assert.equal(s.reasoningEffort, "high");
  });
  await t.step("a provider without settings gives none", () => {
    assert.deepEqual(settingsFor({}, "m"), {});
    assert.deepEqual(settingsFor({ modelSettings: {} }, "__proto__"), {});
  });
  await t.step("merged once per provider and model; a variant or a reload merges anew", () => {
    const first = settingsFor(p, "m");
    assert.equal(settingsFor(p, "m"), first, "the same settings, not a new merge");
    assert.ok(Object.isFrozen(first), "shared, so nobody may change them");
    assert.notEqual(settingsFor(p, "other"), first);
    const variant = { maxOutputTokens: 1000 };
    assert.notEqual(settingsFor(p, "m", variant), settingsFor(p, "m", variant));
    // A reloaded config builds new provider objects: their settings are merged from them.
    const reloaded = { modelSettings: { m: { maxOutputTokens: 5 } } };
    assert.equal(settingsFor(reloaded, "m").maxOutputTokens, 5);
    assert.equal(settingsFor(p, "m").maxOutputTokens, 32000);
  });
  await t.step("nulls survive the merge so they can remove fields later", () => {
    assert.deepEqual(mergeSettings({ extraBody: { a: 1 } }, { extraBody: { a: null } }), {
      extraBody: { a: null },
    });
  });
});

Deno.test("deepMerge: mappings merge, lists replace, null removes, inputs untouched", () => {
  const body = Object.freeze({ a: Object.freeze({ b: 1, c: [1, 2] }), d: 1 });
  const out = deepMerge(body, { a: { c: [3], e: true }, d: null, f: "x" });
  assert.deepEqual(out, { a: { b: 1, c: [3], e: true }, f: "x" });
  assert.deepEqual(body, { a: { b: 1, c: [1, 2] }, d: 1 });
});

Deno.test("empty settings change nothing and return the body as is", () => {
  const body = base({ output_config: {} });
  assert.equal(anthropic(body, {}), body);
});

Deno.test("max_output_tokens caps max_tokens on every protocol", async (t) => {
  const s: ModelSettings = { maxOutputTokens: 8000 };
  await t.step("anthropic", () => assert.equal(anthropic(base(), s).max_tokens, 8000));
  await t.step("smaller requests are left alone", () => {
    assert.equal(anthropic(base({ max_tokens: 512 }), s).max_tokens, 512);
  });
  await t.step("openai (the setting beats the dialect's own limit)", () => {
    assert.equal(toChat(base(), { maxOutputTokens: 20000 }, "nvidia_nim", "m").max_tokens, 20000);
    assert.equal(toChat(base(), s, "openai", "gpt-4.1").max_completion_tokens, 8000);
  });
  await t.step("gemini", () => {
    const g = toGemini(base(), s, "gemini-2.5-flash");
    assert.equal((g.generationConfig as Json).maxOutputTokens, 8000);
  });
  await t.step("context_window leaves room for the prompt", () => {
    const out = anthropic(base(), { contextWindow: 32000 }, 20000);
    assert.equal(out.max_tokens, 32000 - 20000 - 64);
  });
  await t.step(
    "a prompt count that leaves no room keeps max_tokens: the upstream's own count decides",
    () => {
      // Not 1: a model capped at a token stops at once, and Claude Code takes that cut-off
      // answer as a compaction's summary.
      const requested = base().max_tokens;
      assert.equal(anthropic(base(), { contextWindow: 32000 }, 40000).max_tokens, requested);
      assert.equal(anthropic(base(), { contextWindow: 32000 }, 31500).max_tokens, requested);
      assert.equal(
        anthropic(base(), { contextWindow: 32000, maxOutputTokens: 8000 }, 40000).max_tokens,
        8000,
      );
      // Room of at least 1024 tokens is still fitted.
      assert.equal(anthropic(base(), { contextWindow: 32000 }, 30000).max_tokens, 1936);
    },
  );
  await t.step("a thinking budget above the new cap shrinks; below 1024 it goes", () => {
    const thinking = { type: "enabled", budget_tokens: 31999 };
    assert.deepEqual(anthropic(base({ thinking }), s).thinking, {
      type: "enabled",
      budget_tokens: 7999,
    });
    assert.equal(anthropic(base({ thinking }), { maxOutputTokens: 1000 }).thinking, undefined);
    // Untouched when ccp did not lower max_tokens (interleaved thinking may exceed it).
    assert.deepEqual(anthropic(base({ max_tokens: 4000, thinking }), s).thinking, thinking);
  });
});

Deno.test("thinking: off per protocol", async (t) => {
  const s: ModelSettings = { thinking: "off" };
  const body = base({ thinking: { type: "adaptive" }, output_config: { effort: "high" } });
  await t.step("anthropic: thinking removed, effort kept", () => {
    const out = anthropic(body, s);
    assert.equal(out.thinking, undefined);
    assert.deepEqual(out.output_config, { effort: "high" });
  });
  await t.step("openai: the dialect's off switch", () => {
    const chat = toChat(body, s, "nvidia_nim", "z-ai/glm4.7");
    assert.deepEqual(chat.chat_template_kwargs, { thinking: false, enable_thinking: false });
    assert.deepEqual(toChat(body, s, "deepseek", "deepseek-chat").thinking, { type: "disabled" });
  });
  await t.step("gemini: a zero budget", () => {
    const g = toGemini(body, s, "gemini-2.5-flash");
    assert.deepEqual((g.generationConfig as Json).thinkingConfig, { thinkingBudget: 0 });
  });
  await t.step("reasoning_effort none means off too", () => {
    assert.equal(thinkingMode({ reasoningEffort: "none" }), "off");
    assert.equal(thinkingMode({ thinking: "on", reasoningEffort: "none" }), "off");
  });
});

Deno.test("thinking: on and reasoning_effort force the provider's switch", async (t) => {
  await t.step("anthropic: a budget when the client sent none, plus output_config.effort", () => {
    const out = anthropic(base({ temperature: 0.2, top_k: 5 }), { reasoningEffort: "high" });
    assert.deepEqual(out.thinking, { type: "enabled", budget_tokens: 32000 });
    assert.deepEqual(out.output_config, { effort: "high" });
    assert.equal(out.temperature, undefined, "Anthropic refuses temperature != 1 with thinking");
    assert.equal(out.top_k, undefined);
  });
  await t.step("anthropic: the client's own thinking is kept, the effort still set", () => {
    const out = anthropic(base({ thinking: { type: "adaptive" } }), {
      thinking: "on",
      reasoningEffort: "xhigh",
    });
    assert.deepEqual(out.thinking, { type: "adaptive" });
    assert.deepEqual(out.output_config, { effort: "xhigh" });
  });
  await t.step("anthropic: on without effort; no room for a budget leaves it off", () => {
    assert.deepEqual(anthropic(base(), { thinking: "on" }).thinking, {
      type: "enabled",
      budget_tokens: 16384,
    });
    assert.equal(anthropic(base({ max_tokens: 1000 }), { thinking: "on" }).thinking, undefined);
  });
  await t.step("openai: NIM's chat_template_kwargs switch goes on", () => {
    const chat = toChat(base(), { thinking: "on" }, "nvidia_nim", "z-ai/glm4.7");
    assert.deepEqual(chat.chat_template_kwargs, {
      thinking: true,
      enable_thinking: true,
      clear_thinking: false,
    });
  });
  await t.step("openai: an exact level the switch lists is sent verbatim", () => {
    const s: ModelSettings = { reasoningEffort: "minimal" };
    assert.equal(toChat(base(), s, "openai", "gpt-5").reasoning_effort, "minimal");
    const budget = base({ thinking: { type: "enabled", budget_tokens: 2000 } });
    assert.equal(
      toChat(budget, { reasoningEffort: "high" }, "openai", "o3").reasoning_effort,
      "high",
    );
  });
  await t.step("openai: levels the switch lacks map to the nearest", () => {
    assert.equal(
      toChat(base(), { reasoningEffort: "xhigh" }, "openai", "o3").reasoning_effort,
      "high",
    );
    assert.deepEqual(
      toChat(base(), { reasoningEffort: "xhigh" }, "openrouter", "x/y").reasoning,
      { effort: "xhigh" },
    );
  });
  await t.step("gemini: thinkingConfig from the effort", () => {
    const g = toGemini(base(), { reasoningEffort: "low" }, "gemini-2.5-flash");
    assert.deepEqual((g.generationConfig as Json).thinkingConfig, {
      thinkingBudget: 2048,
      includeThoughts: true,
    });
    const level = toGemini(base(), { thinking: "on", reasoningEffort: "high" }, "gemini-3-pro");
    assert.deepEqual((level.generationConfig as Json).thinkingConfig, {
      thinkingLevel: "high",
      includeThoughts: true,
    });
  });
});

Deno.test("extra_body is deep-merged into the final upstream body", async (t) => {
  const s: ModelSettings = {
    extraBody: { chat_template_kwargs: { reasoning_split: true }, stream_options: null, seed: 7 },
  };
  await t.step("openai", () => {
    const chat = toChat(
      base({ stream: true, thinking: { type: "adaptive" } }),
      s,
      "nvidia_nim",
      "m",
    );
    assert.deepEqual(chat.chat_template_kwargs, {
      thinking: true,
      enable_thinking: true,
      clear_thinking: false,
      reasoning_split: true,
    });
    assert.equal("stream_options" in chat, false);
    assert.equal(chat.seed, 7);
  });
  await t.step("gemini", () => {
    const g = toGemini(base(), {
      extraBody: { generationConfig: { candidateCount: 1 }, safetySettings: [] },
    }, "gemini-2.5-flash");
    assert.equal((g.generationConfig as Json).candidateCount, 1);
    assert.deepEqual(g.safetySettings, []);
  });
});

Deno.test("supports.* rewrites what the model cannot take", async (t) => {
  const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } };
  const history = base({
    tools: [{ name: "Read", input_schema: { type: "object" } }],
    tool_choice: { type: "auto" },
    thinking: { type: "enabled", budget_tokens: 2048 },
    output_config: { effort: "high", format: "x" },
    messages: [
      { role: "user", content: [{ type: "text", text: "look" }, image] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hmm", signature: "s" },
          { type: "tool_use", id: "t1", name: "Read", input: { file_path: "a" } },
        ],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "t1",
          content: [{ type: "text", text: "A" }, image],
        }],
      },
      { role: "assistant", content: [{ type: "redacted_thinking", data: "x" }] },
    ],
  });
  await t.step("images: false → a short text placeholder, in tool results too", () => {
    const out = anthropic(history, { supports: { images: false } });
    const msgs = out.messages as Array<{ content: Json[] }>;
    assert.deepEqual(msgs[0]!.content[1], { type: "text", text: IMAGE_PLACEHOLDER });
    const result = msgs[2]!.content[0]!;
    assert.deepEqual((result.content as Json[])[1], { type: "text", text: IMAGE_PLACEHOLDER });
    assert.ok(out.tools, "tools untouched");
  });
  await t.step("tools: false → no tools, prior calls and results become text", () => {
    const out = anthropic(history, { supports: { tools: false } });
    assert.equal(out.tools, undefined);
    assert.equal(out.tool_choice, undefined);
    const msgs = out.messages as Array<{ content: Json[] }>;
    assert.deepEqual(msgs[1]!.content[1], {
      type: "text",
      text: '[tool call Read: {"file_path":"a"}]',
    });
    assert.deepEqual(msgs[2]!.content, [{ type: "text", text: "[tool result]\nA" }, image]);
  });
  await t.step(
    "thinking: false → no thinking params, no thinking blocks, empty turns dropped",
    () => {
      const out = anthropic(history, { supports: { thinking: false } });
      assert.equal(out.thinking, undefined);
      assert.deepEqual(out.output_config, { format: "x" });
      const msgs = out.messages as Array<{ content: Json[] }>;
      assert.equal(msgs.length, 3);
      assert.deepEqual(msgs[1]!.content.map((b) => b.type), ["tool_use"]);
    },
  );
  await t.step("thinking: false beats thinking: on", () => {
    assert.equal(thinkingMode({ thinking: "on", supports: { thinking: false } }), "drop");
  });
  await t.step("openai with thinking: false sends no reasoning switch at all", () => {
    const body = base({ thinking: { type: "adaptive" }, output_config: { effort: "high" } });
    assert.equal(toChat(body, {}, "openai", "o3").reasoning_effort, "high");
    const chat = toChat(body, { supports: { thinking: false } }, "openai", "o3");
    assert.equal(chat.reasoning_effort, undefined);
  });
  await t.step("the input is never mutated", () => {
    const copy = structuredClone(history);
    anthropic(history, { supports: { images: false, tools: false, thinking: false } });
    assert.deepEqual(history, copy);
  });
});

/** Runs one transport against a fetch that records the upstream body. */
async function sentBody(
  transport: Transport,
  p: ReturnType<typeof provider>,
  body: Json,
  settings?: ModelSettings,
) {
  let sent: Json | undefined;
  const fetchStub = (_input: RequestInfo | URL, init?: RequestInit) => {
    sent = JSON.parse(new TextDecoder().decode(init?.body as Uint8Array));
    return Promise.resolve(Response.json({}, { status: 200 }));
  };
  await transport.send({
    provider: p,
    model: "m",
    clientModel: "claude-sonnet-4-5",
    body: body as MessagesRequest,
    clientHeaders: new Headers(),
    signal: new AbortController().signal,
    fetch: fetchStub as typeof fetch,
    inputTokens: () => Promise.resolve(1000),
    ...(settings ? { settings } : {}),
  });
  assert.ok(sent, "the transport called fetch");
  return sent;
}

Deno.test("every transport applies provider settings and the variant's", async (t) => {
  const modelSettings = { m: { maxOutputTokens: 4000, extraBody: { x: 1 } } };
  await t.step("anthropic", async () => {
    const p = provider("a", { modelSettings });
    const sent = await sentBody(anthropicTransport, p, base(), { reasoningEffort: "low" });
    assert.equal(sent.max_tokens, 4000);
    assert.equal(sent.x, 1);
    assert.equal(sent.model, "m");
    assert.deepEqual(sent.output_config, { effort: "low" });
    assert.deepEqual(sent.thinking, { type: "enabled", budget_tokens: 3999 });
  });
  await t.step("openai", async () => {
    const p = provider("o", { type: "openai", authHeader: "bearer", modelSettings });
    const sent = await sentBody(openAITransport, p, base(), { contextWindow: 3000 });
    assert.equal(sent.max_tokens, 3000 - 1000 - 64);
    assert.equal(sent.x, 1);
  });
  await t.step("gemini", async () => {
    const p = provider("g", { type: "gemini", authHeader: "x-goog-api-key", modelSettings });
    const sent = await sentBody(geminiTransport, p, base(), { thinking: "off" });
    assert.equal((sent.generationConfig as Json).maxOutputTokens, 4000);
    assert.equal(sent.x, 1);
  });
});
