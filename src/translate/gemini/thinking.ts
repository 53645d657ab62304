/**
 * Anthropic's thinking request (`thinking`, `output_config.effort`) → Gemini's
 * `thinkingConfig`: a `thinkingBudget` on 2.5 models, a `thinkingLevel` on Gemini 3 and
 * later (a request cannot carry both).
 * `includeThoughts: true` asks for thought summaries, which become thinking blocks.
 */

import type { Effort, MessagesRequest } from "../../protocols/anthropic.ts";
import type { GeminiThinkingConfig, GeminiThinkingLevel } from "../../protocols/gemini.ts";
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

function pickLevel(
  levels: readonly GeminiThinkingLevel[],
  effort: Effort,
): GeminiThinkingLevel | undefined {
  return LEVELS_OF_EFFORT[effort].find((l) => levels.includes(l));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** The `thinkingConfig` for a request, or `undefined` to leave the model's default. */
export function geminiThinkingConfig(
  req: MessagesRequest,
  control: GeminiThinkingControl,
): GeminiThinkingConfig | undefined {
  const thinking = req.thinking;
  if (!thinking || control.kind === "none") return undefined;
  const asked: unknown = req.output_config?.effort;
  // An effort these tables do not know (newer, or mistyped) counts as none given.
  const effort = typeof asked === "string" && Object.hasOwn(LEVELS_OF_EFFORT, asked)
    ? asked as Effort
    : undefined;
  if (thinking.type === "disabled") {
    if (control.kind === "budget") return control.canDisable ? { thinkingBudget: 0 } : undefined;
    return control.off ? { thinkingLevel: control.off } : undefined;
  }
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
    return { thinkingBudget: value, includeThoughts: true };
  }
  const want = effort ?? (budget !== undefined ? levelOfBudget(budget) : undefined);
  // Adaptive without an effort: the model's own dynamic default.
  const level = want ? pickLevel(control.levels, want) : undefined;
  return { ...(level ? { thinkingLevel: level } : {}), includeThoughts: true };
}
