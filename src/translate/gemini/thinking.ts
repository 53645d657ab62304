/**
 * Anthropic's thinking request (`thinking`, `output_config.effort`) -> Gemini's
 * `thinkingConfig`: a `thinkingBudget` on 2.5 models, a `thinkingLevel` on Gemini 3 and
 * later (a request cannot carry both).
 * `includeThoughts: true` asks for thought summaries, which become thinking blocks; a client that
 * shows no thinking (`display: "omitted"`) gets none, and the thought signatures, which come
 * either way, still ride empty thinking blocks back to the model.
 */

import type { Effort, MessagesRequest } from "../../protocols/anthropic.ts";
import type { GeminiThinkingConfig, GeminiThinkingLevel } from "../../protocols/gemini.ts";
import { REASONING_ALLOWANCE } from "../reasoning/allowance.ts";
import type { GeminiThinkingControl } from "./models.ts";

/** Budgets for an adaptive request with an effort, on budget models (-1 = dynamic). */
const BUDGET_OF_EFFORT: Readonly<Record<Effort, number | "max">> = {
  low: 2048,
  medium: 8192,
  high: -1,
  xhigh: "max",
  max: "max",
};

/** Levels for each effort; the first one the model supports wins. */
const LEVELS_OF_EFFORT: Readonly<Record<Effort, readonly GeminiThinkingLevel[]>> = {
  low: ["low"],
  // Gemini 3 Pro has no "medium": its default ("high") is the closer match for Claude's default.
  medium: ["medium", "high"],
  high: ["high"],
  xhigh: ["high"],
  max: ["high"],
};

function levelOfBudget(budget: number): Effort {
  if (budget <= 4096) return "low";
  if (budget <= 16384) return "medium";
  return "high";
}

/**
 * The level of `levels` (one model's) sent for `effort`: that level, or else the next stronger one
 * (a level a model lacks is a 400), wherever the model is served.
 */
export function geminiLevelFor(
  levels: readonly GeminiThinkingLevel[],
  effort: Effort,
): GeminiThinkingLevel | undefined {
  return LEVELS_OF_EFFORT[effort]?.find((l) => levels.includes(l));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** Thinking for a request without it, and the room its reasoning needs beside the answer. */
export interface UnaskedThinking {
  readonly config?: GeminiThinkingConfig;
  /** Tokens to add to `maxOutputTokens`, which counts thoughts too. */
  readonly allowance: number;
}

/**
 * A request that does not ask for thinking (no `thinking`, or `disabled`), as an Anthropic model
 * would take it: thinking off where the model can switch it off, else its least (2.5 Pro's
 * smallest budget, Gemini 3 Pro's `low`) with room for it on top of the client's limit.
 */
export function unaskedThinking(control: GeminiThinkingControl): UnaskedThinking {
  switch (control.kind) {
    case "none":
      return { allowance: 0 };
    case "budget":
      return control.canDisable
        ? { config: { thinkingBudget: 0 }, allowance: 0 }
        : { config: { thinkingBudget: control.min }, allowance: REASONING_ALLOWANCE.low };
    case "level":
      // Flash's `minimal` still thinks a little; without it the least level is the first.
      return control.off
        ? { config: { thinkingLevel: control.off }, allowance: REASONING_ALLOWANCE.minimal }
        : control.levels[0]
        ? { config: { thinkingLevel: control.levels[0] }, allowance: REASONING_ALLOWANCE.low }
        : { allowance: REASONING_ALLOWANCE.low };
  }
}

/** The `thinkingConfig` for a request that asks for thinking; unasked: see {@link unaskedThinking}. */
export function geminiThinkingConfig(
  req: MessagesRequest,
  control: GeminiThinkingControl,
): GeminiThinkingConfig | undefined {
  const thinking = req.thinking;
  if (!thinking || thinking.type === "disabled") return unaskedThinking(control).config;
  if (control.kind === "none") return undefined;
  const thoughts = thinking.display === "omitted" ? {} : { includeThoughts: true };
  const asked: unknown = req.output_config?.effort;
  // An effort these tables do not know (newer, or mistyped) counts as none given.
  const effort = typeof asked === "string" && Object.hasOwn(LEVELS_OF_EFFORT, asked)
    ? asked as Effort
    : undefined;
  const budget = thinking.type === "enabled" && typeof thinking.budget_tokens === "number"
    ? thinking.budget_tokens
    : undefined;
  if (control.kind === "budget") {
    let value: number;
    if (budget !== undefined && effort === undefined) {
      value = clamp(budget, control.min, control.max);
    } else {
      const wanted = BUDGET_OF_EFFORT[effort ?? "high"];
      value = wanted === "max"
        ? control.max
        : wanted < 0
        ? wanted
        : clamp(wanted, control.min, control.max);
    }
    return { thinkingBudget: value, ...thoughts };
  }
  const want = effort ?? (budget !== undefined ? levelOfBudget(budget) : undefined);
  // Adaptive without an effort: the model's own dynamic default.
  const level = want ? geminiLevelFor(control.levels, want) : undefined;
  const config = { ...(level ? { thinkingLevel: level } : {}), ...thoughts };
  return Object.keys(config).length > 0 ? config : undefined;
}
