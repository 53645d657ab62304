/**
 * The same open model costs what each host asks for it: one host's price must not follow the
 * model to every provider. A long-prompt tier without cache prices keeps the base's cache ratios,
 * and Claude Sonnet 4 / 4.5 past 200k prompt tokens bill Anthropic's long-context rates.
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { builtInPrice, costOf, priceOf } from "../../src/usage/prices.ts";
import { priceLines } from "../../src/cli/check_prices.ts";
import { provider, testConfig } from "../helpers/config.ts";

const FREE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

function hosts(): Config {
  return testConfig({
    providers: [
      provider("groq", { preset: "groq" }),
      provider("cerebras", { preset: "cerebras" }),
      provider("together", { preset: "together" }),
      provider("fireworks", { preset: "fireworks" }),
      provider("or", { preset: "open_router" }),
      provider("nim", { preset: "nvidia_nim" }),
      provider("kimi", { preset: "kimi" }),
      provider("ds", { preset: "deepseek" }),
      provider("mine"),
    ],
    routes: { default: "groq/openai/gpt-oss-120b" },
  });
}

Deno.test("prices: an open model costs each host's own price, or none where unknown", () => {
  const c = hosts();
  assert.deepEqual(priceOf(c, "groq", "openai/gpt-oss-120b"), {
    input: 0.15,
    output: 0.6,
    cacheRead: 0.075,
  });
  assert.deepEqual(priceOf(c, "cerebras", "gpt-oss-120b"), { input: 0.35, output: 0.75 });
  assert.deepEqual(priceOf(c, "groq", "llama-3.3-70b-versatile"), { input: 0.59, output: 0.79 });
  assert.deepEqual(priceOf(c, "cerebras", "llama-3.3-70b"), { input: 0.85, output: 1.2 });
  assert.deepEqual(priceOf(c, "nim", "openai/gpt-oss-120b"), FREE);
  // Hosts whose price for it is not known here, and a provider of no preset, show no cost
  // rather than Groq's.
  for (const p of ["or", "mine"]) {
    assert.equal(priceOf(c, p, "openai/gpt-oss-120b"), undefined, p);
  }
  for (const p of ["together", "fireworks", "or", "mine"]) {
    assert.equal(priceOf(c, p, "meta-llama/Llama-3.3-70B-Instruct-Turbo"), undefined, p);
  }
  // Kimi K2 and DeepSeek at their makers' APIs, not at a host that serves the same weights.
  assert.equal(priceOf(c, "kimi", "kimi-k2-0905-preview")?.input, 0.6);
  assert.equal(priceOf(c, "together", "moonshotai/Kimi-K2-Instruct-0905"), undefined);
  assert.equal(priceOf(c, "ds", "deepseek-chat")?.input, 0.14);
  assert.equal(priceOf(c, "together", "deepseek-ai/DeepSeek-V3.1"), undefined);
  assert.equal(priceOf(c, "or", "deepseek/deepseek-v3.2"), undefined);
  // A closed model costs its vendor's price wherever it is relayed.
  assert.equal(priceOf(c, "or", "anthropic/claude-haiku-4.5")?.input, 1);
  assert.equal(priceOf(c, "mine", "gpt-5")?.input, 1.25);
  // Remembered per host: the second host's answer is its own, not the first's.
  assert.equal(builtInPrice("gpt-oss-120b", "groq")?.input, 0.15);
  assert.equal(builtInPrice("gpt-oss-120b", "cerebras")?.input, 0.35);
  assert.equal(builtInPrice("gpt-oss-120b"), undefined);
});

Deno.test("ccp check: an open model another host prices has no price at this one", () => {
  const c = testConfig({
    providers: [provider("groq", { preset: "groq" }), provider("together", { preset: "together" })],
    routes: {
      default: ["together/deepseek-ai/DeepSeek-V3.1", "groq/openai/gpt-oss-120b"],
      opus: "together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
    },
  });
  assert.deepEqual(priceLines(c), [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    "  no cost shown (no price): together/deepseek-ai/DeepSeek-V3.1 (no price at this host), " +
    "together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8 (not in the built-in table)",
  ]);
});

Deno.test("tiers: a tier without cache prices scales the base's cache prices with its input", () => {
  const price = {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    above: { promptTokens: 200_000, input: 6, output: 22.5 },
  };
  const usage = {
    inputTokens: 10_000,
    outputTokens: 1000,
    cacheReadInputTokens: 190_000,
    cacheCreationInputTokens: 1,
  };
  // Cache reads at 0.1× the tier's input, as at the base, not at the tier's full input price.
  assert.equal(
    costOf(usage, price),
    (10_000 * 6 + 1000 * 22.5 + 190_000 * 0.6 + 1 * 7.5) / 1e6,
  );
  // The tier's own cache price wins; a base without one leaves cache tokens at the tier's input.
  const own = { ...price, above: { ...price.above, cacheRead: 1 } };
  assert.equal(
    costOf(usage, own),
    (10_000 * 6 + 1000 * 22.5 + 190_000 * 1 + 1 * 7.5) / 1e6,
  );
  const bare = { input: 3, output: 15, above: { promptTokens: 10, input: 6, output: 22.5 } };
  assert.equal(costOf(usage, bare), (10_000 * 6 + 1000 * 22.5 + 190_001 * 6) / 1e6);
});

Deno.test("tiers: Claude Sonnet 4 and 4.5 past 200k prompt tokens cost the long-context rates", () => {
  const long = { promptTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 };
  for (
    const name of [
      "claude-sonnet-4-20250514",
      "claude-sonnet-4-0",
      "claude-sonnet-4-5@20250929",
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
      "claude-sonnet-4-5",
      "claude-sonnet-4-5-20250929",
      "anthropic/claude-sonnet-4.5",
    ]
  ) {
    assert.deepEqual(builtInPrice(name)?.above, long, name);
  }
  // Other Claude models keep one price at any prompt length.
  for (const name of ["claude-sonnet-4-6", "claude-3-7-sonnet-20250219", "claude-opus-4-5"]) {
    assert.equal(builtInPrice(name)?.above, undefined, name);
  }
  const sonnet = builtInPrice("claude-sonnet-4-5-20250929")!;
  const at = (input: number) =>
    costOf({ inputTokens: input, outputTokens: 2000, cacheReadInputTokens: 100_000 }, sonnet);
  assert.equal(at(100_000), (100_000 * 3 + 2000 * 15 + 100_000 * 0.3) / 1e6);
  assert.equal(at(150_000), (150_000 * 6 + 2000 * 22.5 + 100_000 * 0.6) / 1e6);
});

Deno.test("prices: Together, Fireworks, FriendliAI, Groq's Kimi K2 and Cerebras' GLM at their own prices", () => {
  const c = testConfig({
    providers: [
      provider("groq", { preset: "groq" }),
      provider("cerebras", { preset: "cerebras" }),
      provider("together", { preset: "together" }),
      provider("fireworks", { preset: "fireworks" }),
      provider("friendli", { preset: "friendliai" }),
    ],
  });
  const at = (host: string, model: string) => priceOf(c, host, model);
  assert.deepEqual(at("together", "openai/gpt-oss-120b"), { input: 0.15, output: 0.6 });
  assert.deepEqual(at("together", "moonshotai/Kimi-K2.5"), { input: 0.5, output: 2.8 });
  const fw = (name: string) => at("fireworks", `accounts/fireworks/models/${name}`);
  assert.deepEqual(fw("gpt-oss-120b"), { input: 0.15, output: 0.6, cacheRead: 0.015 });
  assert.deepEqual(fw("kimi-k2p5"), { input: 0.6, output: 3, cacheRead: 0.1 });
  assert.deepEqual(fw("glm-4p7"), { input: 0.6, output: 2.2, cacheRead: 0.3 });
  for (const v3 of ["deepseek-v3", "deepseek-v3-0324", "deepseek-v3p1", "deepseek-v3p2"]) {
    assert.deepEqual(fw(v3), { input: 0.56, output: 1.68, cacheRead: 0.28 }, v3);
  }
  // Its faster variants cost more: not priced as the plain model.
  assert.equal(at("fireworks", "accounts/fireworks/routers/kimi-k2p6-turbo"), undefined);
  assert.equal(fw("kimi-k2p5-turbo"), undefined);
  assert.deepEqual(at("friendli", "zai-org/GLM-5.1"), { input: 1.4, output: 4.4, cacheRead: 0.26 });
  assert.deepEqual(at("friendli", "deepseek-ai/DeepSeek-V3.2"), {
    input: 0.5,
    output: 1.5,
    cacheRead: 0.25,
  });
  // GLM-5.3 is shown both discounted and not: no price until it settles.
  assert.equal(at("friendli", "zai-org/GLM-5.3"), undefined);
  assert.deepEqual(at("groq", "moonshotai/kimi-k2-instruct-0905"), {
    input: 1,
    output: 3,
    cacheRead: 0.5,
  });
  assert.deepEqual(at("cerebras", "zai-glm-4.7"), { input: 2.25, output: 2.75 });
  // Still unpriced where no two sources agree: Together's Qwen3 Coder, GLM and DeepSeek V3.1.
  for (
    const m of [
      "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
      "zai-org/GLM-4.6",
      "deepseek-ai/DeepSeek-V3.1",
    ]
  ) {
    assert.equal(at("together", m), undefined, m);
  }
});
