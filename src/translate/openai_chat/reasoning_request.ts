/**
 * Anthropic's thinking request (`thinking`, `output_config.effort`) turned into the
 * provider's own reasoning switch, as declared by its dialect.
 */

import type { Effort, MessagesRequest } from "../../protocols/anthropic.ts";
import type { JsonObject } from "../../protocols/openai_chat.ts";
import { modelEfforts } from "../reasoning/efforts.ts";
import type { OpenAIDialect, ReasoningSwitch } from "./dialect.ts";

/** What the client asked for, independent of any provider. */
export interface ThinkingIntent {
  /** `default`: say nothing and let the provider decide. */
  mode: "on" | "off" | "default";
  effort?: Effort;
  budgetTokens?: number;
}

/** Maps a thinking budget to an effort, the way the budget sizes are usually meant. */
export function effortFromBudget(budget: number): Effort {
  if (budget <= 4096) return "low";
  if (budget <= 16384) return "medium";
  return "high";
}

/** Reads the client's thinking request; `output_config.effort` beats a budget. */
export function thinkingIntent(req: MessagesRequest, dialect: OpenAIDialect): ThinkingIntent {
  const explicit = req.output_config?.effort;
  const thinking = req.thinking;
  if (!thinking) {
    return dialect.thinkingAbsent === "off" ? { mode: "off" } : { mode: "default" };
  }
  if (thinking.type === "disabled") return { mode: "off" };
  if (thinking.type === "enabled") {
    const budget = typeof thinking.budget_tokens === "number" ? thinking.budget_tokens : undefined;
    const effort = explicit ?? (budget !== undefined ? effortFromBudget(budget) : undefined);
    return {
      mode: "on",
      ...(effort ? { effort } : {}),
      ...(budget ? { budgetTokens: budget } : {}),
    };
  }
  // adaptive: the model decides how much to think; only an explicit effort narrows it.
  return { mode: "on", ...(explicit ? { effort: explicit } : {}) };
}

const RANK: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 1,
  low: 2,
  medium: 3,
  default: 4,
  high: 4,
  xhigh: 5,
  max: 6,
};

/** The strongest allowed level not above the requested effort (else the weakest). */
export function pickLevel<L extends string>(
  levels: readonly L[],
  effort: Effort | undefined,
): L | undefined {
  if (levels.length === 0) return undefined;
  const want = RANK[effort ?? "high"] ?? 4;
  let best: L | undefined;
  for (const level of levels) {
    const rank = RANK[level] ?? 4;
    if (rank <= want && (best === undefined || rank > (RANK[best] ?? 4))) best = level;
  }
  return best ?? levels[0];
}

/**
 * Request fields that carry the intent for one reasoning switch. A `model` that takes only some
 * efforts (see ../reasoning/efforts.ts) is sent one of those, whatever the switch lists.
 */
export function reasoningFields(
  intent: ThinkingIntent,
  sw: ReasoningSwitch,
  ctx: { stream: boolean; maxTokens?: number; model?: string },
): JsonObject {
  if (intent.mode === "default") return {};
  const on = intent.mode === "on";
  const fixed = ctx.model === undefined ? undefined : modelEfforts(ctx.model);
  switch (sw.kind) {
    case "none":
      return {};
    case "reasoning_effort": {
      const off = fixed ? fixed.off : sw.off;
      if (!on) return off ? { reasoning_effort: off } : {};
      // Adaptive thinking without an effort: the provider's own default is the best match.
      const level = intent.effort
        ? fixed?.pick?.(intent.effort) ?? pickLevel(fixed?.efforts ?? sw.levels, intent.effort)
        : fixed
        ? undefined
        : sw.unspecified;
      const base = level && level !== "default" ? { reasoning_effort: level } : {};
      return { ...base, ...(sw.onExtra ?? {}) };
    }
    case "openrouter_reasoning": {
      if (fixed) {
        // Such a model always reasons: switching it off is refused, and so is a budget
        // OpenRouter turns into an effort the model does not take.
        if (!on) return fixed.off ? { reasoning: { effort: fixed.off } } : {};
        if (!intent.effort) return { reasoning: { enabled: true } };
        const effort = fixed.pick?.(intent.effort) ?? pickLevel(fixed.efforts, intent.effort);
        return { reasoning: { effort } };
      }
      if (!on) return { reasoning: { enabled: false } };
      const budget = intent.budgetTokens;
      // OpenRouter wants the reasoning budget below max_tokens (and Anthropic models >= 1024).
      const cap = ctx.maxTokens !== undefined ? Math.floor(ctx.maxTokens * 0.8) : Infinity;
      if (budget && cap >= 1024) return { reasoning: { max_tokens: Math.min(budget, cap) } };
      if (!intent.effort) return { reasoning: { enabled: true } };
      return {
        reasoning: { effort: pickLevel(["low", "medium", "high", "xhigh"], intent.effort) },
      };
    }
    case "chat_template_kwargs":
      return { chat_template_kwargs: { ...(on ? sw.on : sw.off) } };
    case "enable_thinking": {
      // DashScope refuses enable_thinking=true on non-streaming calls.
      if (!on || !ctx.stream) return { enable_thinking: false };
      return {
        enable_thinking: true,
        ...(sw.budget && intent.budgetTokens ? { thinking_budget: intent.budgetTokens } : {}),
      };
    }
    case "thinking_type": {
      if (!on) return { thinking: { type: "disabled" } };
      const level = sw.levels && intent.effort ? pickLevel(sw.levels, intent.effort) : undefined;
      return { thinking: { type: "enabled" }, ...(level ? { reasoning_effort: level } : {}) };
    }
    case "reasoning_enabled":
      return { reasoning: { enabled: on } };
    case "fields":
      return { ...(on ? sw.on : sw.off) };
  }
}
