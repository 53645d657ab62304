/**
 * Budgets: how much of each budget its period has spent. The spend is read from the ledger once
 * at start (so it holds across restarts) and then kept in memory, bumped by every finished
 * request, so the hot path never waits for the store. With several instances, each request's
 * spend is also added to a shared counter, and what the others spent is adopted from it.
 */

import type { BudgetConfig, ProviderConfig } from "../config/types.ts";
import { serverKey } from "../resilience/server_key.ts";
import type { SpentBudget } from "../resilience/outcome.ts";
import type { SharedBudgetCheck } from "../resilience/shared_sync.ts";
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

/** True when a request of `client` to `provider`/`model` counts against `b`. */
export function appliesTo(
  b: BudgetConfig,
  client: string | undefined,
  provider: string | undefined,
  model: string | undefined,
): boolean {
  if (b.client !== undefined) return b.client === client;
  return b.provider !== undefined && b.provider === provider &&
    (b.model === undefined || b.model === model);
}

function amountOf(b: BudgetConfig, c: Pick<Counters, "costNanoUsd"> & { tokens: number }): number {
  return b.costUsd !== undefined ? c.costNanoUsd / 1e9 : c.tokens;
}

interface Tally {
  readonly budget: BudgetConfig;
  /** False until its spend has been read from the ledger (or taken over from a reload). */
  known: boolean;
  start: number;
  /** What this instance knows of: its ledger at start plus the requests it finished since. */
  own: number;
  /** The shared counter when last read, plus what this instance added after that read. */
  shared: number;
}

/** Where spend is counted across instances (Redis): whole tokens or nano-USD per counter. */
export interface SpendCounters {
  add(key: string, units: number, expireAt: number): void;
}

// Spend in a counter's units: nano-USD for cost budgets, so sums stay exact integers.
function unitsOf(b: BudgetConfig, amount: number): number {
  return b.costUsd !== undefined ? Math.round(amount * 1e9) : amount;
}

function amountOfUnits(b: BudgetConfig, units: number): number {
  return b.costUsd !== undefined ? units / 1e9 : units;
}

function spentOf(t: Tally): number {
  return Math.max(t.own, t.shared);
}

/**
 * Each provider of `next` whose name `running` did not have, mapped to the name `running` gave the
 * same server with the same keys and `next` no longer has: what a reload renamed.
 */
export function renamedProviders(
  running: Readonly<Record<string, ProviderConfig>>,
  next: Readonly<Record<string, ProviderConfig>>,
): Map<string, string> {
  const gone = Object.values(running).filter((p) => !(p.id in next));
  const renamed = new Map<string, string>();
  for (const now of Object.values(next)) {
    if (now.id in running) continue;
    const was = gone.find((p) =>
      serverKey(p) === serverKey(now) && JSON.stringify(p.apiKeys) === JSON.stringify(now.apiKeys)
    );
    if (was) renamed.set(now.id, was.id);
  }
  return renamed;
}

/** Tracks spend per budget for the current period of each. */
export class BudgetTracker {
  readonly #tallies: Tally[];
  readonly #now: () => number;
  readonly #counters?: SpendCounters;

  /**
   * `previous`: the tracker of the config before a reload. A budget that still counts the same
   * spend (same target or client, period and unit; the limit may change) keeps what it counted,
   * including requests whose records are not written yet, which a read of the ledger would miss.
   * `renamed`: the provider each new name was before the reload (the same server and keys), whose
   * budget's spend a budget of the new name goes on with: a rename is no new account.
   */
  constructor(
    budgets: readonly BudgetConfig[],
    now: () => number = Date.now,
    counters?: SpendCounters,
    previous?: BudgetTracker,
    renamed: ReadonlyMap<string, string> = new Map(),
  ) {
    this.#now = now;
    this.#counters = counters;
    const kept = new Map((previous ? previous.#tallies : []).map((t) => [spendKey(t.budget), t]));
    this.#tallies = budgets.map((budget) => {
      const was = budget.provider !== undefined ? renamed.get(budget.provider) : undefined;
      const old = kept.get(spendKey(budget)) ??
        (was !== undefined ? kept.get(spendKey({ ...budget, provider: was })) : undefined);
      return old
        ? { budget, known: old.known, start: old.start, own: old.own, shared: old.shared }
        : { budget, known: false, start: 0, own: 0, shared: 0 };
    });
  }

  /**
   * Reads each budget's spend so far this period from the ledger (its records written or not);
   * with `onlyNew`, only of the budgets that have not been read yet.
   */
  async load(
    store: Pick<UsageStore, "totals">,
    options: { onlyNew?: boolean } = {},
  ): Promise<void> {
    const now = this.#now();
    const tallies = options.onlyNew ? this.#tallies.filter((t) => !t.known) : this.#tallies;
    await Promise.all(tallies.map(async (t) => {
      const start = periodStart(t.budget.per, now);
      const c = await store.totals(start, {
        ...(t.budget.provider !== undefined ? { provider: t.budget.provider } : {}),
        ...(t.budget.model !== undefined ? { model: t.budget.model } : {}),
        ...(t.budget.client !== undefined ? { client: t.budget.client } : {}),
      });
      const tokens = c.inputTokens + c.outputTokens + c.cacheReadTokens + c.cacheWriteTokens;
      if (start > t.start) {
        t.start = start;
        t.shared = 0;
      }
      t.own = amountOf(t.budget, { costNanoUsd: c.costNanoUsd, tokens });
      t.known = true;
    }));
  }

  /** Counts a finished request against the budgets it falls under. */
  add(e: LedgerEntry): void {
    for (const t of this.#tallies) {
      const b = t.budget;
      if (!appliesTo(b, e.client, e.provider, e.model)) continue;
      this.#roll(t, e.at);
      if (e.at < t.start) continue;
      const amount = amountOf(b, {
        costNanoUsd: e.costUsd === undefined ? 0 : Math.round(e.costUsd * 1e9),
        tokens: totalTokens(e),
      });
      if (amount <= 0) continue;
      t.own += amount;
      t.shared += amount;
      this.#counters?.add(counterKey(b, t.start), unitsOf(b, amount), periodEnd(b.per, e.at));
    }
  }

  /** Every budget's shared counter for its current period (for `ccp check`). */
  allCounters(): SharedBudgetCheck[] {
    const now = this.#now();
    return this.#tallies.map((t) => {
      this.#roll(t, now);
      return this.#check(t);
    });
  }

  /**
   * The shared counters a request of `client` to `provider`/`model` must check: each budget it
   * falls under, with the value from which that budget routes away.
   */
  sharedChecks(client: string, provider: string, model: string): SharedBudgetCheck[] {
    if (!this.#counters || this.#tallies.length === 0) return [];
    const now = this.#now();
    const checks: SharedBudgetCheck[] = [];
    for (const t of this.#tallies) {
      const b = t.budget;
      if (!appliesTo(b, client, provider, model)) continue;
      this.#roll(t, now);
      checks.push(this.#check(t));
    }
    return checks;
  }

  #check(t: Tally): SharedBudgetCheck {
    const b = t.budget;
    const start = t.start;
    return {
      key: counterKey(b, start),
      limit: unitsOf(b, limitOf(b) * b.routeAwayAt),
      adopt: (units) => {
        if (t.start === start) t.shared = amountOfUnits(b, units);
      },
    };
  }

  /**
   * The budget that keeps a request of `client` to `provider`/`model` back, with the time its
   * period resets (of several spent, the one that resets last); undefined when it may go.
   */
  spentBudget(client: string, provider: string, model: string): SpentBudget | undefined {
    if (this.#tallies.length === 0) return undefined;
    const now = this.#now();
    let spent: SpentBudget | undefined;
    for (const t of this.#tallies) {
      const b = t.budget;
      if (!appliesTo(b, client, provider, model)) continue;
      this.#roll(t, now);
      if (spentOf(t) >= limitOf(b) * b.routeAwayAt) {
        const until = periodEnd(b.per, now);
        if (spent === undefined || until > spent.until) spent = { until, budget: budgetLabel(b) };
      }
    }
    return spent;
  }

  /** Every budget's spend, limit and reset time. */
  states(): BudgetState[] {
    const now = this.#now();
    return this.#tallies.map((t) => {
      this.#roll(t, now);
      const limit = limitOf(t.budget);
      const spent = spentOf(t);
      return {
        budget: t.budget,
        label: budgetLabel(t.budget),
        spent,
        limit,
        resetsAt: periodEnd(t.budget.per, now),
        exhausted: spent >= limit * t.budget.routeAwayAt,
      };
    });
  }

  // A new period starts from zero.
  #roll(t: Tally, at: number): void {
    const start = periodStart(t.budget.per, at);
    if (start > t.start) {
      t.start = start;
      t.own = 0;
      t.shared = 0;
    }
  }
}

// What a budget's spend is the spend of: budgets with the same key count the same requests.
function spendKey(b: BudgetConfig): string {
  return `${budgetLabel(b)}:${b.per}:${b.costUsd !== undefined ? "nanousd" : "tokens"}`;
}

// One counter per budget and period; the unit is part of the name, so a token budget and a cost
// budget on the same target never add into one number.
function counterKey(b: BudgetConfig, start: number): string {
  const unit = b.costUsd !== undefined ? "nanousd" : "tokens";
  return `budget:${budgetLabel(b)}:${b.per}:${unit}:${start}`;
}

function limitOf(b: BudgetConfig): number {
  return b.costUsd ?? b.tokens ?? 0;
}
