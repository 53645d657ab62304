/**
 * The usage ledger's storage, behind one small interface so that an embedded store (Deno KV, one
 * instance) and a shared database (several instances) are interchangeable.
 */

import type { LedgerEntry } from "./entry.ts";
import type { Counters, Dimensions, UsageGroup } from "./totals.ts";

/** Which entries a total covers; absent fields match everything. */
export interface UsageFilter {
  readonly provider?: string;
  readonly model?: string;
  readonly client?: string;
}

/** True when records of dimensions `d` are among those `filter` covers. */
export function matchesFilter(d: Dimensions, filter: UsageFilter): boolean {
  return (filter.provider === undefined || d.provider === filter.provider) &&
    (filter.model === undefined || d.model === filter.model) &&
    (filter.client === undefined || d.client === filter.client);
}

/** Counters of one time bucket. */
export interface SeriesPoint {
  /** Epoch milliseconds where the bucket starts. */
  readonly start: number;
  readonly counters: Counters;
}

/** What a session has used, and who served its latest request. */
export interface SessionUsage {
  readonly latest?: LedgerEntry;
  readonly totals: Counters;
}

/** Where ledger entries are kept and read back. */
export interface UsageStore {
  /** A short name for messages: `Deno KV at <path>`. */
  readonly description: string;
  /** True when other instances write it too (budgets then re-read it every second). */
  readonly shared?: boolean;
  /** True when it answers now; absent for an embedded store, which always does. */
  ping?(): Promise<boolean>;
  /** Adds finished requests; resolves once they are durable. */
  append(entries: readonly LedgerEntry[]): Promise<void>;
  /** Entries at or after `since`, summed per `by` group. */
  grouped(since: number, by: UsageGroup): Promise<Map<string, Counters>>;
  /** Entries at or after `since` (an hour boundary) that match `filter`, summed. */
  totals(since: number, filter: UsageFilter): Promise<Counters>;
  /** Sums per hour or day from `since` (rounded down to the bucket) to now. */
  series(since: number, bucket: "hour" | "day"): Promise<SeriesPoint[]>;
  /** One Claude Code session's totals and latest request. */
  session(id: string): Promise<SessionUsage>;
  /** Removes what is older than `before`; returns how many entries went. */
  prune(before: number): Promise<number>;
  close(): void;
}

/** One hour in milliseconds: the grain of the stored aggregates. */
export const HOUR_MS = 3600_000;

/** `t` rounded down to its hour. */
export function hourOf(t: number): number {
  return t - (t % HOUR_MS);
}
