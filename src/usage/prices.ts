/**
 * What models cost, in USD per million tokens: a provider's `model_settings.<model>.price` wins,
 * else what its preset's billing says (a free hosted API costs 0; a flat-fee plan and a local
 * server have no per-token price), else this built-in table of well-known hosted models.
 *
 * Source: each vendor's public price list (Anthropic, OpenAI, Google Gemini API, DeepSeek, Groq,
 * Mistral, xAI, Moonshot), standard tier, as of 2026-12. Prices change: set `price` in
 * `model_settings` to override any entry. A model whose price sources disagree has no entry.
 * OpenRouter's `:free` variants and its free models router (`openrouter/free`) cost 0.
 */

import type { Config, ModelSettings, Price, Rates } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { findPreset } from "../providers/catalog.ts";
import type { RequestRecord, Usage } from "../pipeline/record.ts";

/** Model name patterns (matched against the upstream model, any vendor prefix ignored) -> price. */
const BUILT_IN: readonly (readonly [RegExp, Price])[] = [
  // Anthropic: cache read 0.1× input, cache write (5 min) 1.25× input.
  [/claude-(opus-4-[5-9]|opus-[5-9])/, { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }],
  [/claude-(3-opus|opus-4(-[01])?\b)/, {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75,
  }],
  [/claude-(sonnet|3-[57]-sonnet)/, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }],
  [/claude-(haiku-4|haiku-[5-9])/, { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 }],
  [/claude-3-5-haiku/, { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 }],
  // OpenAI: cached input at a discount, no cache-write charge. Each GPT-5 version has its own
  // price; one not listed here (a mini or nano past 5.1) has none. GPT-5.4 and later bill a whole
  // request whose prompt passed 272k tokens at 2× input and 1.5× output.
  [/gpt-5(\.1)?(-codex)?-mini/, { input: 0.25, output: 2, cacheRead: 0.025 }],
  [/gpt-5(\.1)?(-codex(-max)?)?$/, { input: 1.25, output: 10, cacheRead: 0.125 }],
  [/gpt-5\.[23](-codex)?$/, { input: 1.75, output: 14, cacheRead: 0.175 }],
  [/gpt-5\.4$/, longPrompt(272_000, { input: 2.5, output: 15, cacheRead: 0.25 })],
  [/gpt-5\.5$/, longPrompt(272_000, { input: 5, output: 30, cacheRead: 0.5 })],
  [/gpt-5-pro$/, { input: 15, output: 120 }],
  [/gpt-5\.2-pro$/, { input: 21, output: 168 }],
  [/gpt-5\.[45]-pro$/, longPrompt(272_000, { input: 30, output: 180 })],
  [/gpt-5-nano/, { input: 0.05, output: 0.4, cacheRead: 0.005 }],
  [/gpt-4\.1-mini/, { input: 0.4, output: 1.6, cacheRead: 0.1 }],
  [/gpt-4\.1$/, { input: 2, output: 8, cacheRead: 0.5 }],
  [/gpt-4o-mini/, { input: 0.15, output: 0.6, cacheRead: 0.075 }],
  [/gpt-4o$/, { input: 2.5, output: 10, cacheRead: 1.25 }],
  [/\bo4-mini/, { input: 1.1, output: 4.4, cacheRead: 0.275 }],
  [/\bo3$/, { input: 2, output: 8, cacheRead: 0.5 }],
  // Google Gemini API. The pro models bill a whole request whose prompt passed 200k tokens higher.
  [/gemini-3-pro/, {
    input: 2,
    output: 12,
    cacheRead: 0.2,
    above: { promptTokens: 200_000, input: 4, output: 18, cacheRead: 0.4 },
  }],
  [/gemini-3-flash/, { input: 0.5, output: 3, cacheRead: 0.05 }],
  [/gemini-2\.5-pro/, {
    input: 1.25,
    output: 10,
    cacheRead: 0.31,
    above: { promptTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.625 },
  }],
  [/gemini-2\.5-flash-lite/, { input: 0.1, output: 0.4, cacheRead: 0.025 }],
  [/gemini-2\.5-flash/, { input: 0.3, output: 2.5, cacheRead: 0.075 }],
  // DeepSeek (cache miss input; cache hit as cache read). Its API serves V4 Flash also under its
  // old names, `deepseek-chat` and `deepseek-reasoner`.
  [/deepseek-(v4-)?flash|deepseek-(chat|reasoner)/, {
    input: 0.14,
    output: 0.28,
    cacheRead: 0.0028,
  }],
  [/deepseek-v3/, { input: 0.28, output: 0.42, cacheRead: 0.028 }],
  // Groq.
  [/llama-3\.3-70b-versatile/, { input: 0.59, output: 0.79 }],
  [/llama-3\.1-8b-instant/, { input: 0.05, output: 0.08 }],
  [/gpt-oss-120b/, { input: 0.15, output: 0.6 }],
  [/gpt-oss-20b/, { input: 0.075, output: 0.3 }],
  // Moonshot Kimi K2 (its turbo models and K2.5 and later cost more), xAI, Mistral.
  [/kimi-k2(?!\.\d)(?!.*turbo)/, { input: 0.6, output: 2.5, cacheRead: 0.15 }],
  [/grok-4-fast/, { input: 0.2, output: 0.5, cacheRead: 0.05 }],
  [/grok-code-fast/, { input: 0.2, output: 1.5, cacheRead: 0.02 }],
  [/grok-4$/, { input: 3, output: 15, cacheRead: 0.75 }],
  [/devstral-medium/, { input: 0.4, output: 2 }],
  [/mistral-large/, { input: 2, output: 6 }],
];

/** OpenAI's long-prompt rule: past `promptTokens`, 2× input (and cache reads), 1.5× output. */
function longPrompt(promptTokens: number, rates: Rates): Price {
  const cacheRead = rates.cacheRead === undefined ? {} : { cacheRead: rates.cacheRead * 2 };
  return {
    ...rates,
    above: { promptTokens, input: rates.input * 2, output: rates.output * 1.5, ...cacheRead },
  };
}

// OpenRouter's free variants (`moonshotai/kimi-k2:free`) cost nothing, though their names match
// the paid model's pattern: priced as the paid one, a free tier's session showed a cost it never
// had, and spent a budget.
// So does its free models router, `openrouter/free`, which picks one of them for each request.
const FREE_VARIANT = /:free$|^openrouter\/free$/;
const FREE: Price = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

// Every request's model is priced when its answer ends; a model the table does not know would try
// every pattern each time. The few models a ccp talks to are remembered (bounded: explicit routes
// let clients name any model).
const looked = new Map<string, Price | undefined>();
const MAX_LOOKED = 256;

/** The built-in price of a model name, if the table knows it. */
export function builtInPrice(model: string): Price | undefined {
  if (looked.has(model)) return looked.get(model);
  const lower = model.toLowerCase();
  const name = lower.replace(/^.*\//, "");
  const price = FREE_VARIANT.test(lower)
    ? FREE
    : BUILT_IN.find(([pattern]) => pattern.test(name))?.[1];
  if (looked.size >= MAX_LOOKED) looked.clear();
  looked.set(model, price);
  return price;
}

/** How `provider`'s preset is paid for, where not per token at list prices (see the catalog). */
export type Billing = "free" | "flat" | "local";

/** `provider`'s billing by its preset: a local server, a free API, a flat-fee plan, or none. */
export function billingOf(config: Config, provider: string): Billing | undefined {
  const id = config.providers[provider]?.preset;
  const preset = id === undefined ? undefined : findPreset(id);
  return preset?.local ? "local" : preset?.billing;
}

/**
 * The price of `model` at `provider`: its settings (a route variant's `price` over the
 * provider's), else its preset's billing (a free API's models cost 0; a local server's and a
 * flat-fee plan's have no per-token price), else the built-in table.
 */
export function priceOf(
  config: Config,
  provider: string,
  model: string,
  variant?: ModelSettings,
): Price | undefined {
  const p = config.providers[provider];
  if (!p) return undefined;
  const own = settingsFor(p, model, variant).price;
  if (own) return own;
  const billing = billingOf(config, provider);
  if (billing === "free") return FREE;
  if (billing !== undefined) return undefined;
  return builtInPrice(model);
}

/**
 * The sum of tokens × price / 1e6 in USD; cache tokens without their own price cost as input. A
 * prompt (input and cache tokens) past the price's `above` size costs that tier's rates, all of it.
 */
export function costOf(usage: Usage, price: Price): number {
  const input = usage.inputTokens ?? 0;
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheCreationInputTokens ?? 0;
  const tier = price.above;
  const rates: Rates = tier && input + cacheRead + cacheWrite > tier.promptTokens ? tier : price;
  return (
    input * rates.input +
    (usage.outputTokens ?? 0) * rates.output +
    cacheRead * (rates.cacheRead ?? rates.input) +
    cacheWrite * (rates.cacheWrite ?? rates.input)
  ) / 1e6;
}

/**
 * What a finished request cost in USD, as the usage ledger records it and `/metrics` counts it:
 * at the price it was sent at, else at `config`'s; undefined when the target that served has no
 * known price (or none served).
 */
export function requestCost(config: Config, record: Readonly<RequestRecord>): number | undefined {
  if (record.provider === undefined || record.model === undefined) return undefined;
  const price = record.price ?? priceOf(config, record.provider, record.model);
  return price ? costOf(record.usage, price) : undefined;
}
