/**
 * The built-in prices, in USD per million tokens: data only (prices.ts looks them up).
 *
 * Source: each vendor's and host's public price list, standard tier, as of 2026-12. Prices
 * change: set `price` in `model_settings` to override any entry. A model whose price sources
 * disagree has no entry.
 */

import type { Price, Rates } from "../config/types.ts";

/** Model name patterns (matched against the upstream model, any vendor prefix ignored) -> price. */
export type PriceRows = readonly (readonly [RegExp, Price])[];

/** OpenAI's long-prompt rule: past `promptTokens`, 2× input (and cache reads), 1.5× output. */
function longPrompt(promptTokens: number, rates: Rates): Price {
  const cacheRead = rates.cacheRead === undefined ? {} : { cacheRead: rates.cacheRead * 2 };
  return {
    ...rates,
    above: { promptTokens, input: rates.input * 2, output: rates.output * 1.5, ...cacheRead },
  };
}

/**
 * Closed models, at their vendor's price wherever they are served: a relay (OpenRouter, a
 * self-hosted gateway) bills them at the vendor's list price.
 */
export const VENDOR_PRICES: PriceRows = [
  // Anthropic: cache read 0.1× input, cache write (5 min) 1.25× input.
  [/claude-(opus-4-[5-9]|opus-[5-9])/, { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }],
  [/claude-(3-opus|opus-4(-[01])?\b)/, {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75,
  }],
  // Sonnet 4 and 4.5 with the 1M-context beta bill a whole request whose prompt passed 200k tokens
  // at 2× input and 1.5× output, the cache rates scaled with input (without the beta such a
  // prompt is refused, so the tier only ever applies with it). Sonnet 4 is also named by its
  // alias `claude-sonnet-4-0`, and on Vertex AI with `@` before the date.
  [/claude-sonnet-4([.-][05])?([-@]\d{8}|$)/, {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    above: { promptTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 },
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
  // xAI, Mistral.
  [/grok-4-fast/, { input: 0.2, output: 0.5, cacheRead: 0.05 }],
  [/grok-code-fast/, { input: 0.2, output: 1.5, cacheRead: 0.02 }],
  [/grok-4$/, { input: 3, output: 15, cacheRead: 0.75 }],
  [/devstral-medium/, { input: 0.4, output: 2 }],
  [/mistral-large/, { input: 2, output: 6 }],
];

// Moonshot Kimi K2 at Moonshot's own API (its turbo models and K2.5 and later cost more).
const MOONSHOT: PriceRows = [
  [/kimi-k2(?!\.\d)(?!.*turbo)/, { input: 0.6, output: 2.5, cacheRead: 0.15 }],
];

/**
 * Open-weights models, by the catalog preset that serves them: each host sets its own price for
 * the same weights, so a row here prices that model at that host only. A host or model missing
 * here has no built-in price. OpenRouter needs none: each of its answers says what it cost.
 */
export const HOST_PRICES: ReadonlyMap<string, PriceRows> = new Map(Object.entries({
  // DeepSeek's API (cache miss input; cache hit as cache read). It serves V4 Flash also under its
  // old names, `deepseek-chat` and `deepseek-reasoner`.
  deepseek: [
    [/deepseek-(v4-)?flash|deepseek-(chat|reasoner)/, {
      input: 0.14,
      output: 0.28,
      cacheRead: 0.0028,
    }],
    [/deepseek-v3/, { input: 0.28, output: 0.42, cacheRead: 0.028 }],
  ],
  kimi: MOONSHOT,
  moonshot_anthropic: MOONSHOT,
  groq: [
    [/llama-3\.3-70b-versatile/, { input: 0.59, output: 0.79 }],
    [/llama-3\.1-8b-instant/, { input: 0.05, output: 0.08 }],
    [/gpt-oss-120b/, { input: 0.15, output: 0.6, cacheRead: 0.075 }],
    [/gpt-oss-20b/, { input: 0.075, output: 0.3 }],
    [/kimi-k2-instruct/, { input: 1, output: 3, cacheRead: 0.5 }],
  ],
  cerebras: [
    [/gpt-oss-120b/, { input: 0.35, output: 0.75 }],
    [/llama-3\.3-70b/, { input: 0.85, output: 1.2 }],
    [/zai-glm-4\.7/, { input: 2.25, output: 2.75 }],
  ],
  together: [
    [/gpt-oss-120b/, { input: 0.15, output: 0.6 }],
    [/^kimi-k2\.5$/, { input: 0.5, output: 2.8 }],
  ],
  // Fireworks names its models `accounts/fireworks/models/<name>`; its faster variants (routers,
  // `-turbo`) cost more and have names of their own, so each name here is matched whole.
  fireworks: [
    [/^gpt-oss-120b$/, { input: 0.15, output: 0.6, cacheRead: 0.015 }],
    [/^gpt-oss-20b$/, { input: 0.07, output: 0.3, cacheRead: 0.035 }],
    [/^kimi-k2p5$/, { input: 0.6, output: 3, cacheRead: 0.1 }],
    [/^kimi-k2p6$/, { input: 0.95, output: 4, cacheRead: 0.16 }],
    [/^glm-4p7$/, { input: 0.6, output: 2.2, cacheRead: 0.3 }],
    [/^glm-5$/, { input: 1, output: 3.2, cacheRead: 0.2 }],
    [/^glm-5p1$/, { input: 1.4, output: 4.4, cacheRead: 0.26 }],
    [/^deepseek-v3(p\d|-0324)?$/, { input: 0.56, output: 1.68, cacheRead: 0.28 }],
  ],
  friendliai: [
    [/^glm-5\.[12]$/, { input: 1.4, output: 4.4, cacheRead: 0.26 }],
    [/^deepseek-v3\.2$/, { input: 0.5, output: 1.5, cacheRead: 0.25 }],
  ],
}));
