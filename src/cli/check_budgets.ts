/** The budgets part of `ccp check`: each budget with what its period has spent so far. */

import type { Config } from "../config/types.ts";
import { type BudgetState, BudgetTracker } from "../usage/budgets.ts";
import type { RedisGuards } from "../shared/redis_guards.ts";
import type { CheckEngines } from "./check_shared.ts";
import { unpricedTargets, unpricedWarning } from "../usage/unpriced.ts";
import { usd } from "../core/money.ts";

function amount(state: BudgetState, n: number): string {
  return state.budget.costUsd !== undefined
    ? usd(n, 2)
    : `${Math.round(n).toLocaleString("en-US")} tokens`;
}

/** One line per budget; spend comes from the ledger (or says why it is unknown). */
export async function budgetLines(config: Config, engines: CheckEngines): Promise<string[]> {
  const budgets = config.budgets ?? [];
  if (budgets.length === 0) return [];
  const tracker = new BudgetTracker(budgets);
  const opened = engines.store;
  let note = "";
  if (opened?.ok) await tracker.load(opened.store);
  else if (opened) note = ` (spend unknown: ${opened.reason})`;
  if (engines.redis) note += await adoptRedisCounters(tracker, engines.redis);
  const lines = [`Budgets${note}:`];
  for (const s of tracker.states()) {
    const percent = s.limit > 0 ? Math.round((s.spent / s.limit) * 100) : 100;
    const away = Math.round(s.budget.routeAwayAt * 100);
    lines.push(
      `  ${s.label}: ${amount(s, s.spent)} of ${amount(s, s.limit)} per ${s.budget.per} ` +
        `(${percent}%; routed away at ${away}%; resets ${new Date(s.resetsAt).toISOString()})` +
        (s.exhausted ? ` \u2014 SPENT: ${spentText(s.budget.client)}` : ""),
    );
  }
  for (const u of unpricedTargets(config)) lines.push(`  note: ${unpricedWarning(u)}`);
  return lines;
}

// A spent target budget moves requests to the route's next target; a spent client budget
// refuses that client's requests (429 budget_exhausted) whatever target would serve them.
function spentText(client: string | undefined): string {
  return client === undefined ? "requests skip it" : `${client}'s requests are refused (429)`;
}

// With several instances, what they spent together is in Redis: shown when it answers.
async function adoptRedisCounters(tracker: BudgetTracker, redis: RedisGuards): Promise<string> {
  try {
    const checks = tracker.allCounters();
    const values = await redis.readCounters(checks.map((c) => c.key));
    checks.forEach((c, i) => c.adopt(values[i] ?? 0));
    return " (spend of every instance, from Redis)";
  } catch {
    return ` (this instance's spend only: ${redis.description} did not answer)`;
  }
}
