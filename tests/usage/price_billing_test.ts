/**
 * What ccp says a request cost must be what was paid: a free hosted API costs $0 whatever the
 * model's list price, a flat-fee plan has no per-token price, a prompt past a model's size tier
 * costs that tier's rates, and `ccp check` names what will show $0 and what will show no cost.
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { describeConfig } from "../../src/config/describe.ts";
import { builtInPrice, costOf, priceOf, requestCost } from "../../src/usage/prices.ts";
import { unpricedTargets } from "../../src/usage/unpriced.ts";
import { priceLines } from "../../src/cli/check_prices.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { provider, testConfig } from "../helpers/config.ts";

const FREE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

function config(): Config {
  return testConfig({
    providers: [
      provider("nim", { preset: "nvidia_nim" }),
      provider("nim_paid", {
        preset: "nvidia_nim",
        modelSettings: { "moonshotai/kimi-k2.5": { price: { input: 1, output: 2 } } },
      }),
      provider("zai", { preset: "zai" }),
      provider("kimi", { preset: "kimi" }),
      provider("openai", { preset: "openai" }),
      provider("ollama", { preset: "ollama" }),
    ],
    routes: {
      opus: ["nim/moonshotai/kimi-k2.5", "zai/glm-4.7", "openai/gpt-5.2"],
      sonnet: ["nim/moonshotai/kimi-k2-instruct", "kimi/kimi-k2.5", "ollama/qwen3-coder"],
      haiku: ["nim_paid/moonshotai/kimi-k2.5", "zai/*"],
    },
  });
}

function record(provider: string, model: string, inputTokens: number): RequestRecord {
  return {
    provider,
    model,
    usage: { inputTokens, outputTokens: 1000, cacheReadInputTokens: 0 },
  } as unknown as RequestRecord;
}

Deno.test("billing: NVIDIA NIM's free API costs $0, even for a model the table prices", () => {
  const c = config();
  // Kimi K2 is in the table at Moonshot's price; on NIM nobody pays it.
  assert.equal(builtInPrice("moonshotai/kimi-k2-instruct", "kimi")?.input, 0.6);
  assert.deepEqual(priceOf(c, "nim", "moonshotai/kimi-k2-instruct"), FREE);
  assert.deepEqual(priceOf(c, "nim", "moonshotai/kimi-k2.5"), FREE);
  assert.deepEqual(priceOf(c, "nim", "z-ai/glm4.7"), FREE);
  assert.equal(requestCost(c, record("nim", "moonshotai/kimi-k2-instruct", 100_000)), 0);
  // The user's own price wins over the preset's billing.
  assert.deepEqual(priceOf(c, "nim_paid", "moonshotai/kimi-k2.5"), { input: 1, output: 2 });
});

Deno.test("billing: a flat-fee plan has no per-token price; a local server none either", () => {
  const c = config();
  assert.equal(priceOf(c, "zai", "glm-4.7"), undefined);
  // A model the table knows, on the plan's endpoint, is no exception.
  assert.equal(priceOf(c, "zai", "kimi-k2-instruct"), undefined);
  assert.equal(requestCost(c, record("zai", "glm-4.7", 1000)), undefined);
  assert.equal(priceOf(c, "ollama", "kimi-k2-instruct"), undefined);
  // A USD budget over the plan's `zai/*` is told at start that it counts nothing there.
  const budgets: Config = {
    ...c,
    budgets: [{ provider: "zai", costUsd: 5, per: "day", routeAwayAt: 1 }],
  };
  assert.deepEqual(unpricedTargets(budgets).map((u) => `${u.provider}/${u.model}`), [
    "zai/glm-4.7",
    "zai/*",
  ]);
});

Deno.test("prices: each GPT-5 version at its own price; Kimi K2.5 and turbo not as K2", () => {
  assert.deepEqual(builtInPrice("gpt-5"), { input: 1.25, output: 10, cacheRead: 0.125 });
  assert.deepEqual(builtInPrice("gpt-5.1-codex-max"), builtInPrice("gpt-5"));
  assert.deepEqual(builtInPrice("gpt-5.1-codex-mini"), builtInPrice("gpt-5-mini"));
  for (const name of ["gpt-5.2", "openai/gpt-5.2-codex", "gpt-5.3-codex"]) {
    assert.deepEqual(builtInPrice(name), { input: 1.75, output: 14, cacheRead: 0.175 }, name);
  }
  assert.deepEqual(builtInPrice("gpt-5.2-pro"), { input: 21, output: 168 });
  assert.deepEqual(builtInPrice("gpt-5.4"), {
    input: 2.5,
    output: 15,
    cacheRead: 0.25,
    above: { promptTokens: 272_000, input: 5, output: 22.5, cacheRead: 0.5 },
  });
  assert.deepEqual(builtInPrice("gpt-5.5"), {
    input: 5,
    output: 30,
    cacheRead: 0.5,
    above: { promptTokens: 272_000, input: 10, output: 45, cacheRead: 1 },
  });
  assert.deepEqual(builtInPrice("gpt-5.5-pro"), {
    input: 30,
    output: 180,
    above: { promptTokens: 272_000, input: 60, output: 270 },
  });
  // Versions whose price is not known here have none rather than an older model's.
  for (const name of ["gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.6", "kimi-k2.5", "kimi-k2-turbo"]) {
    assert.equal(builtInPrice(name), undefined, name);
  }
  assert.equal(builtInPrice("kimi-k2-thinking", "kimi")?.output, 2.5);
  assert.equal(priceOf(config(), "kimi", "kimi-k2.5"), undefined);
});

Deno.test("tiers: a prompt past 200k tokens costs Gemini Pro's higher rates, all of it", () => {
  const pro = builtInPrice("gemini-2.5-pro")!;
  assert.deepEqual(pro.above, { promptTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.625 });
  assert.deepEqual(builtInPrice("gemini-3-pro-preview")?.above, {
    promptTokens: 200_000,
    input: 4,
    output: 18,
    cacheRead: 0.4,
  });
  const at = (input: number, cacheRead: number) =>
    costOf({ inputTokens: input, outputTokens: 1000, cacheReadInputTokens: cacheRead }, pro);
  // 200k exactly is the lower tier; the prompt counts its cache reads.
  assert.equal(at(150_000, 50_000), (150_000 * 1.25 + 1000 * 10 + 50_000 * 0.31) / 1e6);
  assert.equal(at(150_000, 50_001), (150_000 * 2.5 + 1000 * 15 + 50_001 * 0.625) / 1e6);
  // A tier without a cache price charges cache tokens at the tier's input.
  const tiered = { input: 1, output: 2, above: { promptTokens: 10, input: 3, output: 4 } };
  assert.equal(
    costOf({ inputTokens: 5, outputTokens: 1, cacheCreationInputTokens: 6 }, tiered),
    (5 * 3 + 1 * 4 + 6 * 3) / 1e6,
  );
});

Deno.test("tiers: a config's price takes an `above` tier", () => {
  const c = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  g:
    preset: gemini
    api_key: k
    model_settings:
      gemini-2.5-pro:
        price: { input: 1.25, output: 10, above: { prompt_tokens: 200k, input: 2.5, output: 15 } }
routes:
  default: g/gemini-2.5-pro
`,
  });
  assert.deepEqual(priceOf(c, "g", "gemini-2.5-pro"), {
    input: 1.25,
    output: 10,
    above: { promptTokens: 200_000, input: 2.5, output: 15 },
  });
  assert.match(
    describeConfig(c),
    /price per Mtok: in \$1\.25 out \$10; a prompt past 200000 tokens: in \$2\.5 out \$15/,
  );
});

Deno.test("ccp check: names the targets that will cost $0 and those that will show no cost", () => {
  assert.deepEqual(priceLines(config()), [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    "  $0: nim/moonshotai/kimi-k2.5 (a free API), nim/moonshotai/kimi-k2-instruct (a free API)",
    "  no cost shown (no price): zai/glm-4.7 (a flat-fee plan), kimi/kimi-k2.5 (no price at " +
    "this host), ollama/qwen3-coder (a local server), zai/* (a flat-fee plan)",
  ]);
  // Every target priced above 0: nothing to say.
  const priced = testConfig({
    providers: [provider("openai", { preset: "openai" })],
    routes: { default: ["openai/gpt-5.2", "openai/*"] },
  });
  assert.deepEqual(priceLines(priced), []);
});
