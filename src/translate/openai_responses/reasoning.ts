/**
 * The Responses API's `reasoning` for an Anthropic request: the client's thinking as an effort,
 * or, when it asked for none, each reasoning family's weakest effort and the room it still needs.
 */

import type { MessagesRequest } from "../../protocols/anthropic.ts";
import type { ResponsesEffort, ResponsesRequest } from "../../protocols/openai_responses.ts";
import { effortFromBudget, pickLevel } from "../openai_chat/reasoning_request.ts";
import { REASONING_ALLOWANCE } from "../reasoning/allowance.ts";
import { modelEfforts } from "../reasoning/efforts.ts";

// Reasoning models (o-series, GPT-5, Codex) refuse sampling parameters.
export const REASONING_MODEL = /(^|\/)(o\d|gpt-5|codex)/i;

// Models that take no reasoning setting at all: the API refuses the field ("'reasoning.effort'
// is not supported with this model"), so thinking a client asks of them is not passed on.
const NO_REASONING = /(^|\/)(gpt-4|gpt-3\.5|chatgpt-|gpt-5-chat)/i;

const EFFORT_OF: Readonly<Record<string, ResponsesEffort>> = {
  low: "low",
  medium: "medium",
  high: "high",
  // Anthropic's strongest levels; the API's `xhigh` exists only for some Codex models.
  xhigh: "high",
  max: "high",
};

// The weakest effort each reasoning family accepts, first match wins: sent when the client did
// not ask for thinking, since the API's default (medium for most) is slow and costly.
// gpt-5-pro takes only `high`, its default, and models outside the table take no effort at all.
// Reasoning counts against `max_output_tokens`, so a family that still reasons at its weakest
// gets an allowance on top of the client's limit (see ../reasoning/allowance.ts). A model that
// takes only some efforts (../reasoning/efforts.ts) is sent the nearest one it takes, since the
// API refuses any other with a 400.
const LOWEST_EFFORT: ReadonlyArray<
  readonly [RegExp, ResponsesEffort | undefined, allowance: number]
> = [
  [NO_REASONING, undefined, 0],
  [/gpt-5(\.\d+)?-pro/i, undefined, REASONING_ALLOWANCE.full],
  [/codex/i, "low", REASONING_ALLOWANCE.low], // Codex models refuse `minimal` and, so far, `none`
  [/gpt-5\.\d/i, "none", 0], // gpt-5.1 and later can skip reasoning; they refuse `minimal`
  [/gpt-5/i, "minimal", REASONING_ALLOWANCE.minimal],
  [/(^|\/)o\d/i, "low", REASONING_ALLOWANCE.low],
];

/** The reasoning setting for a request that does not ask for thinking, and room for it. */
export function lowestReasoning(
  model: string,
): { reasoning?: ResponsesRequest["reasoning"]; allowance: number } {
  const row = LOWEST_EFFORT.find(([re]) => re.test(model));
  if (!row) return { allowance: 0 };
  const [, effort, allowance] = row;
  return { ...(effort ? { reasoning: { effort } } : {}), allowance };
}

/**
 * The client's thinking as the API's `reasoning`; undefined when it asked for none or the model
 * takes none.
 */
export function reasoningOf(
  req: MessagesRequest,
  model: string,
): ResponsesRequest["reasoning"] | undefined {
  const thinking = req.thinking;
  if (!thinking || thinking.type === "disabled" || NO_REASONING.test(model)) return undefined;
  const explicit = req.output_config?.effort;
  const budget = thinking.type === "enabled" && typeof thinking.budget_tokens === "number"
    ? thinking.budget_tokens
    : undefined;
  const level = explicit ?? (budget !== undefined ? effortFromBudget(budget) : undefined);
  const fixed = modelEfforts(model);
  const effort = !level
    ? undefined
    : fixed
    ? fixed.pick?.(level) ?? pickLevel(fixed.efforts, level)
    : EFFORT_OF[level];
  // Summaries are only for showing: a client that shows none ("omitted") gets none, and the
  // reasoning still goes back, encrypted, in the thinking block's signature.
  const summary = thinking.display === "omitted" ? {} : { summary: "auto" as const };
  return { ...(effort ? { effort } : {}), ...summary };
}
