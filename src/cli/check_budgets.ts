/** The budgets part of `ccp check`: each budget with what its period has spent so far. */

import type { Config } from "../config/types.ts";
import { type BudgetState, BudgetTracker } from "../usage/budgets.ts";
import { openUsageStore } from "../usage/open.ts";

function amount(state: BudgetState, n: number): string {
  return state.budget.costUsd !== undefined
    ? `$${n.toFixed(2)}`
    : `${Math.round(n).toLocaleString("en-US")} tokens`;
}

/** One line per budget; spend comes from the ledger (or says why it is unknown). */
export async function budgetLines(config: Config): Promise<string[]> {
  const budgets = config.budgets ?? [];
  if (budgets.length === 0) return [];
  const tracker = new BudgetTracker(budgets);
  const opened = await openUsageStore(config);
  let note = "";
  if (opened.ok) {
    try {
      await tracker.load(opened.store);
    } finally {
      opened.store.close();
    }
  } else note = ` (spend unknown: ${opened.reason})`;
  const lines = [`Budgets${note}:`];
  for (const s of tracker.states()) {
    const percent = s.limit > 0 ? Math.round((s.spent / s.limit) * 100) : 100;
    const away = Math.round(s.budget.routeAwayAt * 100);
    lines.push(
      `  ${s.label}: ${amount(s, s.spent)} of ${amount(s, s.limit)} per ${s.budget.per} ` +
        `(${percent}%; routed away at ${away}%; resets ${new Date(s.resetsAt).toISOString()})` +
        (s.exhausted ? " — SPENT: requests skip it" : ""),
    );
  }
  return lines;
}
