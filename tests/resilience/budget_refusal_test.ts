import assert from "node:assert/strict";
import { exhaustedError } from "../../src/resilience/exhausted.ts";
import { durationText } from "../../src/resilience/budget_refusal.ts";
import type { TargetOutcome } from "../../src/resilience/outcome.ts";

// 2026-12-07 09:27:59 UTC; the month's budget resets on 2027-01-01.
const NOW = Date.UTC(2026, 11, 7, 9, 27, 59);
const MONTH_END = Date.UTC(2027, 0, 1);

function spent(provider: string, model: string, budget: string, until = MONTH_END): TargetOutcome {
  return { kind: "budget", target: { provider, model }, until, budget };
}

Deno.test("budget_exhausted for a client's own budget: said once, its reset as a date, no 'add another target'", () => {
  const error = exhaustedError([
    spent("claude", "claude-sonnet-4-5", "client carol"),
    spent("openrouter", "anthropic/claude-sonnet-4.5", "client carol"),
  ], NOW);
  const body = error.toAnthropicError();
  assert.equal(error.status, 429);
  assert.equal(body.error.code, "budget_exhausted");
  assert.equal(
    body.error.message,
    "Every target of this route is over a budget: budget of client carol spent for " +
      'provider "claude" model "claude-sonnet-4-5", provider "openrouter" model ' +
      '"anthropic/claude-sonnet-4.5" (resets 2027-01-01 00:00 UTC, in 24d 14h). It counts every ' +
      "target of the route: whoever runs ccp can raise it (budgets: in ccp's config), or wait " +
      "for the reset.",
  );
  assert.equal(error.headers["Retry-After"], String((MONTH_END - NOW) / 1000));
});

Deno.test("budget_exhausted for targets' own budgets: one clause each, another target may help", () => {
  const tomorrow = Date.UTC(2026, 11, 8);
  const message = exhaustedError([
    spent("claude", "claude-sonnet-4-5", "claude"),
    spent("openrouter", "anthropic/claude-sonnet-4.5", "openrouter", tomorrow),
  ], NOW).toAnthropicError().error.message;
  assert.equal(
    message,
    'Every target of this route is over a budget: budget of claude spent for provider "claude" ' +
      'model "claude-sonnet-4-5" (resets 2027-01-01 00:00 UTC, in 24d 14h); budget of ' +
      'openrouter spent for provider "openrouter" model "anthropic/claude-sonnet-4.5" (resets ' +
      "2026-12-08 00:00 UTC, in 14h 32m). Raise the budget or add another target.",
  );
});

Deno.test("durationText: days and hours, hours and minutes, minutes, seconds", () => {
  assert.equal(durationText(2_125_921), "24d 14h");
  assert.equal(durationText(86_400), "1d");
  assert.equal(durationText(3 * 3600 + 60 * 12 + 5), "3h 12m");
  assert.equal(durationText(42 * 60 + 3), "42m");
  assert.equal(durationText(30), "30s");
});
