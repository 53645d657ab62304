/**
 * From a preset to its cleaning: the named steps turned into one body and one beta rule. The
 * config builder calls this once per provider; requests read the compiled result.
 */

import {
  type CleaningStep,
  DEFAULT_ANTHROPIC_CLEANING,
  findPreset,
  type Preset,
} from "../../providers/catalog.ts";
import {
  stripCcpThinkingForAnthropic,
  stripUnverifiableThinkingForAnthropic,
  verifiesSignatures,
} from "../anthropic/real_anthropic.ts";
import { dropBetas, keepOnlyBetas } from "./betas.ts";
import { dropBillingHeader } from "./billing_header.ts";
import { resolveDeferredTools } from "./deferred_tools.ts";
import { stripCacheControl } from "./cache_control.ts";
import { foldSystemMessages } from "./system_messages.ts";
import {
  disableAbsentThinking,
  dropRedactedThinking,
  passBackToolTurnThinking,
} from "./thinking.ts";
import { rewriteToolIds } from "./tool_ids.ts";
import { dropSchemaKeywords, dropServerTools, dropToolFields } from "./tools.ts";
import { dropTopLevel, keepTopLevel } from "./top_level.ts";
import {
  type BetaRule,
  chain,
  chainBetas,
  type Cleaning,
  exceptFor,
  type ModelBodyRule,
} from "./types.ts";

/** What a provider's cleaning is chosen from: its preset record and where it points. */
export interface CleaningSource {
  readonly preset?: Preset;
  readonly baseUrl: string;
  /** `server_tools: true`: the upstream runs Anthropic's server tools, which stay then. */
  readonly serverTools?: boolean;
}

/** One step as a body rule (some read the upstream model) or a beta rule. */
export function ruleFor(step: CleaningStep): { body: ModelBodyRule } | { betas: BetaRule } {
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
    case "dropSchemaKeywords":
      return { body: dropSchemaKeywords(step.keywords) };
    case "stripCacheControl":
      return { body: stripCacheControl };
    case "dropServerTools":
      return { body: dropServerTools };
    case "dropRedactedThinking":
      return { body: dropRedactedThinking };
    case "disableAbsentThinking":
      return { body: disableAbsentThinking };
    case "passBackToolTurnThinking":
      return { body: passBackToolTurnThinking };
    case "stripCcpThinking":
      return { body: stripCcpThinkingForAnthropic };
    case "stripUnverifiableThinking":
      return { body: stripUnverifiableThinkingForAnthropic };
    case "foldSystemMessages":
      return { body: foldSystemMessages };
    case "dropBillingHeader":
      return { body: dropBillingHeader };
    case "rewriteToolIds":
      return { body: rewriteToolIds };
    case "resolveDeferredTools":
      return { body: resolveDeferredTools };
  }
}

// Claude Code logged in with a Claude plan says so in a beta: it describes the client's own
// login, which a provider sent ccp's key does not get, and a server that checks its betas may
// refuse one that does not match the credential it was sent.
const LOGIN_BETAS = dropBetas(["oauth-2025-04-20"]);

/** A step's rule, kept from the models it names as exceptions (a body rule only). */
function scopedRuleFor(step: CleaningStep): { body: ModelBodyRule } | { betas: BetaRule } {
  const rule = ruleFor(step);
  if (!step.exceptModels?.length || !("body" in rule)) return rule;
  return { body: exceptFor(step.exceptModels, rule.body) };
}

/** Builds the cleaning for a list of steps (body steps run in the order listed). */
export function cleaningFromSteps(steps: readonly CleaningStep[]): Cleaning {
  const rules = steps.map(scopedRuleFor);
  const betaRules = rules.flatMap((r) => ("betas" in r ? [r.betas] : []));
  return {
    body: chain(rules.flatMap((r) => ("body" in r ? [r.body] : []))),
    betas: chainBetas(betaRules),
    keyedBetas: chainBetas([LOGIN_BETAS, ...betaRules]),
  };
}

/**
 * The steps for a provider: its preset's; the Anthropic preset's for a preset-less provider at
 * api.anthropic.com; otherwise the safe default (attribution block, system messages, ccp thinking,
 * foreign tool ids).
 */
export function stepsFor(source: CleaningSource): readonly CleaningStep[] {
  const steps = presetSteps(source);
  if (source.serverTools !== true || !steps.some((s) => s.rule === "dropServerTools")) return steps;
  // The user's word on what runs behind this address wins over the preset's.
  return steps.filter((step) => step.rule !== "dropServerTools");
}

function presetSteps(source: CleaningSource): readonly CleaningStep[] {
  if (source.preset?.cleaning) return source.preset.cleaning;
  if (verifiesSignatures({ preset: source.preset?.id, baseUrl: source.baseUrl })) {
    return findPreset("anthropic")?.cleaning ?? [];
  }
  return DEFAULT_ANTHROPIC_CLEANING;
}

// Steps are static data, so each list is compiled once and shared by every provider using it.
const compiled = new WeakMap<readonly CleaningStep[], Cleaning>();

/** The compiled cleaning for a provider (see {@link stepsFor}); one per step list. */
export function cleaningFor(source: CleaningSource): Cleaning {
  const steps = stepsFor(source);
  let cleaning = compiled.get(steps);
  if (!cleaning) compiled.set(steps, cleaning = cleaningFromSteps(steps));
  return cleaning;
}
