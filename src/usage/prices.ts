/**
 * What requests cost. In USD per million tokens, a provider's `model_settings.<model>.price`
 * wins; else a provider whose preset reports each answer's cost (OpenRouter) costs what it
 * reported; else what its preset's billing says (a free hosted API costs 0; a flat-fee plan and a
 * local server have no per-token price), else the built-in table (price_table.ts): the host's own
 * price for an open model it serves, a closed model's vendor price anywhere. OpenRouter's `:free`
 * variants and its free models router (`openrouter/free`) cost 0.
 */

import type { Config, ModelSettings, Price, Rates } from "../config/types.ts";
import { HOST_PRICES, VENDOR_PRICES } from "./price_table.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { findPreset } from "../providers/catalog.ts";
import type { RequestRecord, Usage } from "../pipeline/record.ts";

// OpenRouter's free variants (`moonshotai/kimi-k2:free`) cost nothing, though their names match
// the paid model's pattern: priced as the paid one, a free tier's session showed a cost it never
// had, and spent a budget.
// So does its free models router, `openrouter/free`, which picks one of them for each request.
const FREE_VARIANT = /:free$|^openrouter\/free$/;
const FREE: Price = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

// Every request's model is priced when its answer ends; a model the table does not know would try
// every pattern each time. The few models a ccp talks to are remembered by preset and name
// (bounded: explicit routes let clients name any model).
const looked = new Map<string, Price | undefined>();
const MAX_LOOKED = 256;

/**
 * The built-in price of a model name at a host of `preset` (its own price for an open model),
 * else a closed model's vendor price; undefined if the table does not know it there.
 */
export function builtInPrice(model: string, preset = ""): Price | undefined {
  const key = `${preset}\0${model}`;
  if (looked.has(key)) return looked.get(key);
  const lower = model.toLowerCase();
  const name = lower.replace(/^.*\//, "");
  const match = ([pattern]: readonly [RegExp, Price]) => pattern.test(name);
  const price = FREE_VARIANT.test(lower)
    ? FREE
    : (HOST_PRICES.get(preset)?.find(match) ?? VENDOR_PRICES.find(match))?.[1];
  if (looked.size >= MAX_LOOKED) looked.clear();
  looked.set(key, price);
  return price;
}

/** Whether some catalog host has a built-in price for `model` (an open model priced elsewhere). */
export function pricedAtHost(model: string): boolean {
  const name = model.toLowerCase().replace(/^.*\//, "");
  return [...HOST_PRICES.values()].some((rows) => rows.some(([pattern]) => pattern.test(name)));
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
  return builtInPrice(model, p.preset);
}

/**
 * The sum of tokens × price / 1e6 in USD; cache tokens without their own price cost as input. A
 * prompt (input and cache tokens) past the price's `above` size costs that tier's rates, all of it;
 * a tier without cache prices keeps the base's cache-to-input ratios.
 */
export function costOf(usage: Usage, price: Price): number {
  const input = usage.inputTokens ?? 0;
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheCreationInputTokens ?? 0;
  const tier = price.above;
  const rates = tier && input + cacheRead + cacheWrite > tier.promptTokens
    ? tierRates(tier, price)
    : price;
  return (
    input * rates.input +
    (usage.outputTokens ?? 0) * rates.output +
    cacheRead * (rates.cacheRead ?? rates.input) +
    cacheWrite * (rates.cacheWrite ?? rates.input)
  ) / 1e6;
}

/**
 * A tier's rates, a cache price it leaves out scaled from the base's: a long-context tier at 2×
 * input reads its cache at 2× the base's cache read, not at the tier's full input price.
 */
function tierRates(tier: Rates, base: Rates): Rates {
  const scale = base.input > 0 ? tier.input / base.input : 1;
  const scaled = (own: number | undefined, of: number | undefined) =>
    own ?? (of === undefined ? undefined : of * scale);
  return {
    input: tier.input,
    output: tier.output,
    cacheRead: scaled(tier.cacheRead, base.cacheRead),
    cacheWrite: scaled(tier.cacheWrite, base.cacheWrite),
  };
}

/** Whether `provider`'s preset says in each answer what it cost (see the catalog). */
export function reportsCost(config: Config, provider: string): boolean {
  const id = config.providers[provider]?.preset;
  return id !== undefined && findPreset(id)?.reportsCost === true;
}

/**
 * Which of `provider`'s answers say what they cost: `every` one on Chat Completions and the
 * Responses API, only `unstreamed` ones on the Anthropic endpoint (its documented stream events
 * carry token counts alone, and Claude Code always streams), or none (undefined).
 */
export function costReports(config: Config, provider: string): "every" | "unstreamed" | undefined {
  if (!reportsCost(config, provider)) return undefined;
  return config.providers[provider]!.type === "anthropic" ? "unstreamed" : "every";
}

/**
 * Prices the try of a target's model by this request's config (the answer may end after a
 * reload), noting whether the price is the user's own `price` setting and whether the target's
 * answers say what they cost.
 */
export function priceAttempt(
  record: RequestRecord,
  config: Config,
  { provider: { id: provider }, model }: { provider: { id: string }; model: string },
  variant?: ModelSettings,
): void {
  const p = config.providers[provider];
  const own = p ? settingsFor(p, model, variant).price : undefined;
  const price = own ?? priceOf(config, provider, model, variant);
  if (price) record.price = price;
  else delete record.price;
  if (own) record.ownPrice = true;
  else delete record.ownPrice;
  record.reportsCost = reportsCost(config, provider);
}

/**
 * What a finished request cost in USD, as the usage ledger records it and `/metrics` counts it:
 * at the user's own `price` when one is set (the contract's tokens x price); else what the answer
 * said it cost, from a provider that reports it; else at the price it was sent at, else at
 * `config`'s; undefined when the target that served has no known price (or none served).
 */
export function requestCost(config: Config, record: Readonly<RequestRecord>): number | undefined {
  if (record.provider === undefined || record.model === undefined) return undefined;
  const reported = record.usage.costUsd;
  const reports = record.reportsCost ?? reportsCost(config, record.provider);
  if (reported !== undefined && reports && !pricedByUser(config, record)) return reported;
  const price = record.price ?? priceOf(config, record.provider, record.model);
  return price ? costOf(record.usage, price) : undefined;
}

function pricedByUser(config: Config, record: Readonly<RequestRecord>): boolean {
  if (record.price !== undefined) return record.ownPrice === true;
  const p = config.providers[record.provider!];
  return p !== undefined && settingsFor(p, record.model!).price !== undefined;
}
