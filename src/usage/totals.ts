/** Counters summed over ledger entries, and the report shape `ccp usage --json` prints. */

import type { LedgerEntry } from "./entry.ts";
import { NO_PROVIDER, NO_ROUTE } from "../pipeline/record.ts";

/** What `--by` groups on. */
export const USAGE_GROUPS = ["day", "route", "provider", "model", "client"] as const;

/** A `--by` value. */
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** Sums over a set of entries. Cost is kept in nano-USD so that sums are exact. */
export interface Counters {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costNanoUsd: number;
  /** Entries whose cost was known: a row with none has cost `null`. */
  priced: number;
  /**
   * Entries that used tokens of a model with no known price: a row with some and a cost shows
   * only part of what was spent.
   */
  unpriced: number;
}

/** Fresh zero counters. */
export function zeroCounters(): Counters {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costNanoUsd: 0,
    priced: 0,
    unpriced: 0,
  };
}

/** Adds `b` into `a`. */
export function addCounters(a: Counters, b: Readonly<Counters>): void {
  a.requests += b.requests;
  a.errors += b.errors;
  a.inputTokens += b.inputTokens;
  a.outputTokens += b.outputTokens;
  a.cacheReadTokens += b.cacheReadTokens;
  a.cacheWriteTokens += b.cacheWriteTokens;
  a.costNanoUsd += b.costNanoUsd;
  a.priced += b.priced;
  // Counters stored before this one was kept have none.
  a.unpriced += b.unpriced ?? 0;
}

/** One entry's counters. */
export function countersOf(e: LedgerEntry): Counters {
  return {
    requests: 1,
    errors: e.error ? 1 : 0,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    cacheReadTokens: e.cacheReadTokens,
    cacheWriteTokens: e.cacheWriteTokens,
    costNanoUsd: e.costUsd === undefined ? 0 : Math.round(e.costUsd * 1e9),
    priced: e.costUsd === undefined ? 0 : 1,
    unpriced: unpricedUse(e) ? 1 : 0,
  };
}

/**
 * An entry whose cost is part of what was spent but not known: served by a model without a price,
 * with tokens. One that reached no provider (a local answer) or used no token cost nothing.
 */
function unpricedUse(e: LedgerEntry): boolean {
  return e.costUsd === undefined && e.provider !== undefined &&
    e.inputTokens + e.outputTokens + e.cacheReadTokens + e.cacheWriteTokens > 0;
}

/** The dimensions a group key is made from. */
export interface Dimensions {
  readonly route: string;
  readonly provider: string;
  readonly model: string;
  readonly client: string;
}

/** How an older ccp wrote a dimension a record did not have; hours it summed still say so. */
export const OLD_NONE = "-";

/** Shown for a dimension a record does not have (a local answer has no provider). */
export const NONE = NO_PROVIDER;

/** An entry's dimensions. */
export function dimensionsOf(e: LedgerEntry): Dimensions {
  return {
    // An entry without a route was refused before routing: `none`, as its header and metrics say.
    route: e.route ?? NO_ROUTE,
    provider: e.provider ?? NONE,
    model: e.model ?? NONE,
    client: e.client,
  };
}

/** The row key of a group: `--by model` is `<provider>/<upstream model>`. */
export function groupKey(by: UsageGroup, d: Dimensions, at: number): string {
  switch (by) {
    case "day":
      return new Date(at).toISOString().slice(0, 10);
    case "model":
      return d.provider === NONE ? NONE : `${d.provider}/${d.model}`;
    default:
      return d[by];
  }
}

/** One row of the report, as JSON prints it. */
export interface UsageRow {
  readonly key: string;
  readonly requests: number;
  readonly errors: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly cost_usd: number | null;
}

/** `ccp usage --json` and `GET /v1/ccp/usage`. */
export interface UsageReport {
  readonly since: string;
  readonly by: UsageGroup;
  readonly rows: readonly UsageRow[];
  readonly total: Omit<UsageRow, "key">;
}

function rowOf(c: Readonly<Counters>): Omit<UsageRow, "key"> {
  return {
    requests: c.requests,
    errors: c.errors,
    input_tokens: c.inputTokens,
    output_tokens: c.outputTokens,
    cache_read_input_tokens: c.cacheReadTokens,
    cache_creation_input_tokens: c.cacheWriteTokens,
    cost_usd: c.priced > 0 ? c.costNanoUsd / 1e9 : null,
  };
}

/** The report from grouped counters: rows sorted by key (days ascending). */
export function reportOf(
  since: number,
  by: UsageGroup,
  groups: ReadonlyMap<string, Counters>,
): UsageReport {
  const total = zeroCounters();
  const rows = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, c]) => {
      addCounters(total, c);
      return { key, ...rowOf(c) };
    });
  return { since: new Date(since).toISOString(), by, rows, total: rowOf(total) };
}
