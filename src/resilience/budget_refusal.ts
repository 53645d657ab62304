/** The 429 a client gets when every target of its route is over a budget. */

import { type RefusingTarget, UpstreamError } from "../core/errors.ts";
import { secondsUntil } from "./clock.ts";
import { nameOf, type TargetOutcome } from "./outcome.ts";

type BudgetOutcome = Extract<TargetOutcome, { kind: "budget" }>;

/** `24d 14h`, `5h 12m`, `42m`, `30s`: a budget's wait reads in days, not in millions of seconds. */
export function durationText(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return m > 0 ? `${m}m` : `${seconds}s`;
}

/** When a budget resets: the moment in UTC and how far off it is. */
export function resetText(until: number, now: number): string {
  const seconds = secondsUntil(until, now);
  const at = new Date(now + seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `resets ${at} UTC, in ${durationText(seconds)}`;
}

/**
 * One clause per budget, naming the targets it holds back: a client's budget covers every
 * target of the route, which one clause per target would repeat.
 */
function clauses(outcomes: readonly BudgetOutcome[], now: number): string[] {
  const byBudget = new Map<string, BudgetOutcome[]>();
  for (const o of outcomes) {
    const label = o.budget ?? "";
    byBudget.set(label, [...(byBudget.get(label) ?? []), o]);
  }
  return [...byBudget].map(([label, held]) => {
    const targets = held.map((o) => nameOf(o.target)).join(", ");
    const until = Math.min(...held.map((o) => o.until));
    return `${label ? `budget of ${label}` : "a budget"} spent for ${targets} (${
      resetText(until, now)
    })`;
  });
}

// The last target whose budget is spent, and that budget's label when known.
function refusing(o: BudgetOutcome): RefusingTarget {
  const { provider, model } = o.target;
  return o.budget === undefined ? { provider, model } : { provider, model, budget: o.budget };
}

/**
 * `budget_exhausted`: which budgets are spent, when each resets, and what helps. Another target
 * does not help a client's own budget, which counts whatever serves that client.
 */
export function budgetExhausted(outcomes: readonly BudgetOutcome[], now: number): UpstreamError {
  const seconds = secondsUntil(Math.min(...outcomes.map((o) => o.until)), now);
  const labels = new Set(outcomes.map((o) => o.budget ?? ""));
  const client = labels.size === 1 && [...labels][0]!.startsWith("client ");
  const advice = client
    ? "It counts every target of the route: whoever runs ccp can raise it (budgets: in ccp's " +
      "config), or wait for the reset."
    : "Raise the budget or add another target.";
  const message = `Every target of this route is over a budget: ${
    clauses(outcomes, now).join("; ")
  }. ${advice}`;
  // No target was tried: the answer (its headers and its record) names the last one whose
  // budget is spent instead.
  const last = outcomes.at(-1);
  return new UpstreamError("rate_limit_error", message, {
    status: 429,
    headers: { "Retry-After": String(seconds) },
    extra: { code: "budget_exhausted" },
    ...(last ? { target: refusing(last) } : {}),
  });
}
