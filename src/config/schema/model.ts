/** Per-model settings (`model_settings:` entries and route variants): schema and conversion. */

import type { ModelSettings, Price, Rates, ReasoningEffort } from "../types.ts";
import { amount, flag, oneOf, onOff, tokenSize } from "./fields.ts";
import { anything, type Output, record, section } from "./kit.ts";

/** Every reasoning effort a setting may name, weakest first. */
const REASONING_EFFORTS: readonly ReasoningEffort[] = [
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
];

/** USD per million tokens of each kind. */
const RATES = {
  input: amount(),
  output: amount(),
  cache_read: amount().optional(),
  cache_write: amount().optional(),
};

/** The keys of one model's settings; route variants accept the same keys beside `target`. */
export const modelSettingsShape = {
  max_output_tokens: tokenSize().optional(),
  context_window: tokenSize().optional(),
  reasoning_effort: oneOf(REASONING_EFFORTS, "reasoning effort").optional(),
  thinking: onOff().optional(),
  extra_body: record(anything()).optional(),
  supports: section({
    images: flag().optional(),
    documents: flag().optional(),
    tools: flag().optional(),
    thinking: flag().optional(),
  }).optional(),
  /** Tool calls written as text become tool_use blocks (`openai` providers). */
  text_tool_calls: flag().optional(),
  /** USD per million tokens; `above` prices a whole request whose prompt passed its size. */
  price: section({
    ...RATES,
    above: section({ prompt_tokens: tokenSize(), ...RATES }).optional(),
  }).optional(),
};

/** One entry under a provider's `model_settings:`. */
export const modelSettingsSchema = section(modelSettingsShape);

/** Settings as parsed (snake_case, sizes in tokens). */
export type ModelSettingsSection = Output<typeof modelSettingsSchema>;

/** Converts parsed settings to the Config shape, leaving out keys that were not given. */
export function toModelSettings(s: ModelSettingsSection): ModelSettings {
  const supports = s.supports && Object.keys(s.supports).length > 0 ? s.supports : undefined;
  return {
    ...(s.max_output_tokens !== undefined ? { maxOutputTokens: s.max_output_tokens } : {}),
    ...(s.context_window !== undefined ? { contextWindow: s.context_window } : {}),
    ...(s.reasoning_effort !== undefined ? { reasoningEffort: s.reasoning_effort } : {}),
    ...(s.thinking !== undefined ? { thinking: s.thinking } : {}),
    ...(s.extra_body !== undefined ? { extraBody: s.extra_body } : {}),
    ...(supports ? { supports } : {}),
    ...(s.text_tool_calls !== undefined ? { textToolCalls: s.text_tool_calls } : {}),
    ...(s.price ? { price: toPrice(s.price) } : {}),
  };
}

type PriceSection = NonNullable<ModelSettingsSection["price"]>;

function toPrice(p: PriceSection): Price {
  return {
    ...toRates(p),
    ...(p.above ? { above: { promptTokens: p.above.prompt_tokens, ...toRates(p.above) } } : {}),
  };
}

function toRates(p: Omit<PriceSection, "above">): Rates {
  return {
    input: p.input,
    output: p.output,
    ...(p.cache_read !== undefined ? { cacheRead: p.cache_read } : {}),
    ...(p.cache_write !== undefined ? { cacheWrite: p.cache_write } : {}),
  };
}

/** True when the settings say nothing. */
export function isEmptySettings(s: ModelSettings): boolean {
  return Object.keys(s).length === 0;
}
