/**
 * Budgets: how much of each budget its period has spent. The spend is read from the ledger once
 * at start (so it holds across restarts) and then kept in memory, bumped by every finished
 * request, so the hot path never waits for the store.
 */

import type { BudgetConfig } from "../config/types.ts";
import { type LedgerEntry, totalTokens } from "./entry.ts";
import { periodEnd, periodStart } from "./period.ts";
import type { UsageStore } from "./store.ts";
import type { Counters } from "./totals.ts";

/** One budget's state, for `ccp check`, `/health` and the status page. */
export interface BudgetState {
  readonly budget: BudgetConfig;
  /** What it limits: `anthropic`, `anthropic/claude-opus-4-5`, `client alice`. */
  readonly label: string;
  /** Tokens, or USD for a `cost_usd` budget. */
  readonly spent: number;
  readonly limit: number;
  /** When the period resets (epoch ms). */
  readonly resetsAt: number;
  /** True when spend has reached `route_away_at` of the limit. */
  readonly exhausted: boolean;
}

/** The label a budget is shown with. */
export function budgetLabel(b: BudgetConfig): string {
  if (b.client !== undefined) return `client ${b.client}`;
  return b.model !== undefined ? `${b.provider}/${b.model}` : `${b.provider}`;
}

function matches(b: BudgetConfig, provider: string | undefined, model: string | undefined) {
  return b.provider !== undefined && b.provider === provider &&
    (b.model === undefined || b.model === model);
}

function amountOf(b: BudgetConfig, c: Pick<Counters, "costNanoUsd"> & { tokens: number }): number {
  return b.costUsd !== undefined ? c.costNanoUsd / 1e9 : c.tokens;
}

interface Tally {
  readonly budget: BudgetConfig;
  start: number;
  spent: number;
}

/** Tracks spend per budget for the current period of each. */
export class BudgetTracker {
  readonly #tallies: Tally[];
  readonly #now: () => number;

  constructor(budgets: readonly BudgetConfig[], now: () => number = Date.now) {
    this.#now = now;
    this.#tallies = budgets.map((budget) => ({ budget, start: 0, spent: 0 }));
  }

  /** Reads each budget's spend so far this period from the ledger. */
  async load(store: UsageStore): Promise<void> {
    const now = this.#now();
    await Promise.all(this.#tallies.map(async (t) => {
      const start = periodStart(t.budget.per, now);
      const c = await store.totals(start, {
        ...(t.budget.provider !== undefined ? { provider: t.budget.provider } : {}),
        ...(t.budget.model !== undefined ? { model: t.budget.model } : {}),
        ...(t.budget.client !== undefined ? { client: t.budget.client } : {}),
      });
      const tokens = c.inputTokens + c.outputTokens + c.cacheReadTokens + c.cacheWriteTokens;
      t.start = start;
      t.spent = amountOf(t.budget, { costNanoUsd: c.costNanoUsd, tokens });
    }));
  }

  /** Counts a finished request against the budgets it falls under. */
  add(e: LedgerEntry): void {
    for (const t of this.#tallies) {
      const b = t.budget;
      const applies = b.client !== undefined
        ? b.client === e.client
        : matches(b, e.provider, e.model);
      if (!applies) continue;
      this.#roll(t, e.at);
      if (e.at < t.start) continue;
      t.spent += amountOf(b, {
        costNanoUsd: e.costUsd === undefined ? 0 : Math.round(e.costUsd * 1e9),
        tokens: totalTokens(e),
      });
    }
  }

  /**
   * When a request of `client` to `provider`/`model` is over a budget: the time that budget's
   * period resets (the latest, when several are spent); undefined when it may go.
   */
  blockedUntil(client: string, provider: string, model: string): number | undefined {
    if (this.#tallies.length === 0) return undefined;
    const now = this.#now();
    let until: number | undefined;
    for (const t of this.#tallies) {
      const b = t.budget;
      const applies = b.client !== undefined ? b.client === client : matches(b, provider, model);
      if (!applies) continue;
      this.#roll(t, now);
      if (t.spent >= limitOf(b) * b.routeAwayAt) {
        const reset = periodEnd(b.per, now);
        until = until === undefined ? reset : Math.max(until, reset);
      }
    }
    return until;
  }

  /** Every budget's spend, limit and reset time. */
  states(): BudgetState[] {
    const now = this.#now();
    return this.#tallies.map((t) => {
      this.#roll(t, now);
      const limit = limitOf(t.budget);
      return {
        budget: t.budget,
        label: budgetLabel(t.budget),
        spent: t.spent,
        limit,
        resetsAt: periodEnd(t.budget.per, now),
        exhausted: t.spent >= limit * t.budget.routeAwayAt,
      };
    });
  }

  // A new period starts from zero.
  #roll(t: Tally, at: number): void {
    const start = periodStart(t.budget.per, at);
    if (start > t.start) {
      t.start = start;
      t.spent = 0;
    }
  }
}

function limitOf(b: BudgetConfig): number {
  return b.costUsd ?? b.tokens ?? 0;
}
