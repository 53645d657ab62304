/** From a provider to its cleaning: the preset's named steps turned into one body and one beta rule. */

import {
  type CleaningStep,
  DEFAULT_ANTHROPIC_CLEANING,
  findPreset,
} from "../../providers/catalog.ts";
import { stripCcpThinkingForAnthropic, verifiesSignatures } from "../anthropic/real_anthropic.ts";
import { dropBetas, keepOnlyBetas } from "./betas.ts";
import { dropBillingHeader } from "./billing_header.ts";
import { stripCacheControl } from "./cache_control.ts";
import { foldSystemMessages } from "./system_messages.ts";
import { dropRedactedThinking } from "./thinking.ts";
import { rewriteToolIds } from "./tool_ids.ts";
import { dropServerTools, dropToolFields } from "./tools.ts";
import { dropTopLevel, keepTopLevel } from "./top_level.ts";
import { type BetaRule, type BodyRule, chain, chainBetas } from "./types.ts";

/** What ccp does to a request for one provider before sending it. */
export interface Cleaning {
  readonly body: BodyRule;
  readonly betas: BetaRule;
}

/** One step as a body rule or a beta rule. */
export function ruleFor(step: CleaningStep): { body: BodyRule } | { betas: BetaRule } {
  switch (step.rule) {
    case "keepTopLevel":
      return { body: keepTopLevel(step.fields) };
    case "dropTopLevel":
      return { body: dropTopLevel(step.fields) };
    case "keepOnlyBetas":
      return { betas: keepOnlyBetas(step.betas) };
    case "dropBetas":
      return { betas: dropBetas(step.betas) };
    case "dropToolFields":
      return { body: dropToolFields(step.fields) };
    case "stripCacheControl":
      return { body: stripCacheControl };
    case "dropServerTools":
      return { body: dropServerTools };
    case "dropRedactedThinking":
      return { body: dropRedactedThinking };
    case "stripCcpThinking":
      return { body: stripCcpThinkingForAnthropic };
    case "foldSystemMessages":
      return { body: foldSystemMessages };
    case "dropBillingHeader":
      return { body: dropBillingHeader };
    case "rewriteToolIds":
      return { body: rewriteToolIds };
  }
}

/** Builds the cleaning for a list of steps (body steps run in the order listed). */
export function cleaningFromSteps(steps: readonly CleaningStep[]): Cleaning {
  const rules = steps.map(ruleFor);
  return {
    body: chain(rules.flatMap((r) => ("body" in r ? [r.body] : []))),
    betas: chainBetas(rules.flatMap((r) => ("betas" in r ? [r.betas] : []))),
  };
}

/**
 * The steps for a provider: its preset's; the Anthropic preset's for a preset-less provider at
 * api.anthropic.com; otherwise the safe default (attribution block, system messages, ccp thinking).
 */
export function stepsFor(provider: { preset?: string; baseUrl: string }): readonly CleaningStep[] {
  const preset = provider.preset === undefined ? undefined : findPreset(provider.preset);
  if (preset?.cleaning) return preset.cleaning;
  if (verifiesSignatures(provider)) return findPreset("anthropic")?.cleaning ?? [];
  return DEFAULT_ANTHROPIC_CLEANING;
}

// Steps are static data, so each list is compiled once and shared by every request.
const compiled = new WeakMap<readonly CleaningStep[], Cleaning>();

/** The cleaning for a provider (see {@link stepsFor}); compiled once per step list. */
export function cleanFor(provider: { preset?: string; baseUrl: string }): Cleaning {
  const steps = stepsFor(provider);
  let cleaning = compiled.get(steps);
  if (!cleaning) compiled.set(steps, cleaning = cleaningFromSteps(steps));
  return cleaning;
}
