/**
 * Writing a batch the store refused: one entry the store will not take (a per-record limit of the
 * store nobody knew of) would otherwise be retried with the batch forever, and hold back every
 * record after it. The batch is written in halves, down to single entries; an entry refused on its
 * own while the store takes the others is given up on, and the rest is written.
 */

import type { LedgerEntry } from "./entry.ts";
import type { UsageStore } from "./store.ts";
import { messageOf } from "../core/errors.ts";

/**
 * The most writes one refused batch is split into. Finding one refused entry among n takes about
 * 2·log2(n) writes; a store that refuses everything (a full disk) is tried this often at most
 * before it counts as away, and what was not reached waits for the next try.
 */
export const MAX_SPLIT_WRITES = 32;

/** An entry the store refused on its own while it took others, and what it said. */
export interface RefusedEntry {
  readonly entry: LedgerEntry;
  readonly why: string;
}

/** What writing a refused batch in parts came to. */
export interface SplitOutcome {
  /** True when the store took some part: it answers, so what it refused alone is dropped. */
  readonly wrote: boolean;
  /** Entries refused alone, twice, once after the store took others. */
  readonly refused: readonly RefusedEntry[];
  /** Entries neither written nor refused, oldest first: all of them when nothing was written. */
  readonly kept: readonly LedgerEntry[];
  /** Why the last failed write failed (for a store that took nothing). */
  readonly error: unknown;
}

/**
 * Writes `batch`, which the store has just refused with `error`, in parts. A store that says it
 * is away (its ping fails) is not split: nothing it refuses then says anything about an entry.
 */
export async function appendSplitting(
  store: UsageStore,
  batch: readonly LedgerEntry[],
  error: unknown,
): Promise<SplitOutcome> {
  const nothing = { wrote: false, refused: [], kept: batch, error };
  if (batch.length < 2) return nothing;
  if (store.ping && !(await store.ping().catch(() => false))) return nothing;
  let lastError = error;
  let writes = 0;
  let wrote = false;
  const done = new Set<LedgerEntry>();
  // Entries that failed alone, with why: refused only if the store takes them no better later.
  const alone: RefusedEntry[] = [];
  // Depth first, the older half first: records are written about in the order they ended.
  const parts: (readonly LedgerEntry[])[] = halves(batch).reverse();
  while (parts.length > 0 && writes < MAX_SPLIT_WRITES) {
    const part = parts.pop()!;
    writes++;
    try {
      await store.append(part);
      wrote = true;
      for (const e of part) done.add(e);
    } catch (err) {
      lastError = err;
      if (part.length === 1) alone.push({ entry: part[0]!, why: messageOf(err) });
      else parts.push(...halves(part).reverse());
    }
  }
  const refused: RefusedEntry[] = [];
  // A store that took nothing is away, or refuses everything: no entry is to blame.
  if (wrote) {
    // Tried once more, now that the store has taken others: a write lost to a passing fault
    // is not a refusal.
    for (const a of alone) {
      try {
        await store.append([a.entry]);
      } catch (err) {
        refused.push({ entry: a.entry, why: messageOf(err) });
      }
      done.add(a.entry);
    }
  }
  return { wrote, refused, kept: batch.filter((e) => !done.has(e)), error: lastError };
}

function halves(part: readonly LedgerEntry[]): (readonly LedgerEntry[])[] {
  const middle = Math.ceil(part.length / 2);
  return [part.slice(0, middle), part.slice(middle)];
}
