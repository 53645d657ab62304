/**
 * The usage ledger as ccp runs it: an observer that turns each finished request into an entry
 * with its cost, writes entries in small batches shortly after their answers end (a killed
 * process loses at most what ended in the last moments), and keeps the budgets' spend.
 */

import type { Config } from "../config/types.ts";
import { every } from "../core/deadlines.ts";
import type { Logger } from "../core/log.ts";
import { printable } from "../core/text.ts";
import type { RequestObserver, RequestRecord } from "../pipeline/record.ts";
import { type Cancel, type Clock, systemClock } from "../resilience/clock.ts";
import type { SpentBudget } from "../resilience/outcome.ts";
import type { SharedBudgetCheck } from "../resilience/shared_sync.ts";
import { BudgetTracker, renamedProviders, type SpendCounters } from "./budgets.ts";
import { entryOf, type LedgerEntry } from "./entry.ts";
import { requestCost } from "./prices.ts";
import { appendSplitting, type SplitOutcome } from "./split_append.ts";
import { matchesFilter, type UsageStore } from "./store.ts";
import { addCounters, countersOf, dimensionsOf } from "./totals.ts";
import {
  costBudgetsOf,
  type UnpricedTarget,
  unpricedTarget,
  unpricedTargets,
  unpricedWarning,
} from "./unpriced.ts";
import { messageOf } from "../core/errors.ts";

/** How long a finished request waits to be written with others (well under a second). */
const FLUSH_DELAY_MS = 100;
/** How often records past the retention are removed (checked when records are written). */
const PRUNE_EVERY_MS = 3600_000;
/** When the first prune runs after start. */
const FIRST_PRUNE_AFTER_MS = 5_000;
/** How often a failed write is tried again. */
const RETRY_MS = 1000;
/** How long a stop waits for the last records to be written. */
const CLOSE_WAIT_MS = 5000;
/**
 * How long a report waits for the records still queued to be written: well within the 2 s
 * `ccp statusline` gives a running ccp to answer.
 */
const SETTLE_WAIT_MS = 500;
/** Entries kept in memory while the store cannot be written; older ones are dropped beyond it. */
export const MAX_PENDING = 100_000;
/** How often budgets re-read a store other instances write to. */
const SHARED_REFRESH_MS = 1000;
/** A budget read still unanswered after this long no longer holds back the next one. */
const ABANDON_READ_MS = 30_000;
/** The most of a store's refusal a warning quotes. */
const MAX_WHY_CHARS = 300;
/** Unpriced targets warned about at most (clients may name any model). */
const MAX_UNPRICED_WARNINGS = 100;
/** Budget reads a write overlapped, asked again before the last one's answer is taken. */
const MAX_BUDGET_READS = 3;

// One entry per POST /v1/messages (the others never reach a model); a request refused by auth
// never gets a record.
function isLedgerRecord(r: Readonly<RequestRecord>): boolean {
  return r.method === "POST" && r.path === "/v1/messages";
}

/** Records the ledger gave up on, by why. */
export interface DroppedRecords {
  /** Refused by the store on their own while it took the others. */
  refused: number;
  /** Past {@link MAX_PENDING} while the store did not take them. */
  backlog: number;
}

/** The ledger of one ccp process. */
export class Ledger implements RequestObserver {
  readonly store: UsageStore;
  readonly #config: () => Config;
  readonly #log: Logger;
  #queue: LedgerEntry[] = [];
  #flushSoon: Cancel | undefined;
  #writing: Promise<void> = Promise.resolve();
  // The batch being written, while a write is in flight; and the one flush waiting for it.
  #inFlight: readonly LedgerEntry[] | undefined;
  #afterWrite: Promise<void> | undefined;
  // Writes begun and ended: a budget read that no write overlapped saw exactly those ended.
  #writesBegun = 0;
  #writesEnded = 0;
  #stopFirstPrune: Cancel = () => {};
  // Pruning rides on writes (records come only with requests): an idle ccp keeps no timer.
  #nextPruneAt = Infinity;
  #prune: () => void = () => {};
  #stopRefreshing: Cancel = () => {};
  #budgets: BudgetTracker;
  #budgetSource: Config["budgets"];
  // The providers the budgets' spend was counted under: a reload that renames one is told by them.
  #budgetProviders: Config["providers"];
  #failed = false;
  #closed = false;
  #lastError: string | undefined;
  readonly #dropped: DroppedRecords = { refused: 0, backlog: 0 };
  readonly #counters?: SpendCounters;
  readonly #warnedUnpriced = new Set<string>();
  readonly #clock: Clock;
  readonly #now: () => number;

  /**
   * `counters`: where budget spend is also counted across instances (Redis), when shared.
   * `clock`: what the ledger reads time from and waits on (a test's moves only when told).
   */
  constructor(
    store: UsageStore,
    config: () => Config,
    log: Logger,
    counters?: SpendCounters,
    clock: Clock = systemClock,
  ) {
    this.store = store;
    this.#config = config;
    this.#log = log;
    this.#counters = counters;
    this.#clock = clock;
    this.#now = () => clock.now();
    this.#budgetSource = config().budgets;
    this.#budgetProviders = config().providers;
    this.#budgets = new BudgetTracker(this.#budgetSource ?? [], this.#now, counters);
  }

  // What budgets read their spend from: the store's totals and this instance's records not
  // written yet (queued, kept after a failed write, or ending while the read is on its way), each
  // counted once. A write the read overlapped may or may not be in its answer: it is read again.
  readonly #spend: Pick<UsageStore, "totals"> = {
    totals: async (since, filter) => {
      for (let read = 1;; read++) {
        const begun = this.#writesBegun;
        const quiet = begun === this.#writesEnded;
        const counters = await this.store.totals(since, filter);
        if ((quiet && begun === this.#writesBegun) || read >= MAX_BUDGET_READS) {
          for (const e of this.#unwritten()) {
            if (e.at >= since && matchesFilter(dimensionsOf(e), filter)) {
              addCounters(counters, countersOf(e));
            }
          }
          return counters;
        }
      }
    },
  };

  // Entries not written yet: the queue, and the batch of the write to come or under way (a read
  // that every try saw overlapped by that write counts it: a write that slow has not ended).
  *#unwritten(): Iterable<LedgerEntry> {
    yield* this.#queue;
    if (this.#inFlight) yield* this.#inFlight;
  }

  /** Reads budget spend from the store and starts pruning; call once before serving. */
  async start(): Promise<void> {
    await this.#budgets.load(this.#spend);
    for (const u of unpricedTargets(this.#config())) this.#warnUnpriced(u);
    this.#prune = () => {
      const retention = this.#config().usage?.retentionMs ?? 0;
      if (retention <= 0) return;
      void this.store.prune(this.#now() - retention)
        .catch((err) => this.#log.warn(`Usage ledger: pruning failed: ${messageOf(err)}`));
    };
    // The first prune waits until the server has been up a few seconds: it reads the whole
    // expired range (~7 ms at start-up), which would otherwise delay the first answer.
    this.#nextPruneAt = this.#now() + PRUNE_EVERY_MS;
    this.#stopFirstPrune = this.#clock.timer(FIRST_PRUNE_AFTER_MS, () => this.#prune());
    if (this.store.shared) {
      // Other instances spend the same budgets: their records count within a second.
      // One read at a time: a database that stops answering would otherwise gather a read a
      // second for as long as it is away, all sent at once when it is back. A read that has
      // waited far too long is given up on, so one lost on a dead connection stops nothing.
      let readingSince: number | undefined;
      const refresh = () => {
        const now = this.#now();
        if (readingSince !== undefined && now - readingSince < ABANDON_READ_MS) return;
        const started = readingSince = now;
        void this.#budgets.load(this.#spend).catch(() => {}).finally(() => {
          if (readingSince === started) readingSince = undefined;
        });
      };
      const clock = this.#clock;
      this.#stopRefreshing = every(SHARED_REFRESH_MS, refresh, (ms, fn) => clock.timer(ms, fn));
    }
  }

  ended(record: Readonly<RequestRecord>): void {
    if (!isLedgerRecord(record)) return;
    const config = this.#config();
    const cost = requestCost(config, record);
    const entry = entryOf(record, cost);
    // A model clients name themselves (provider/model) was not among the targets checked at start.
    if (
      cost === undefined && record.provider !== undefined && record.model !== undefined &&
      config.budgets
    ) {
      const { provider, model } = record;
      for (const budget of costBudgetsOf(config.budgets, record.client, provider, model)) {
        this.#warnUnpriced(unpricedTarget(config, budget, provider, model));
      }
    }
    this.budgets().add(entry);
    this.#queue.push(entry);
    this.#flushSoon ??= this.#clock.timer(FLUSH_DELAY_MS, () => void this.flush());
  }

  // Once per budget and target: each of its requests would say the same.
  #warnUnpriced(u: UnpricedTarget): void {
    const key = `${u.budget}\u0000${u.provider}/${u.model}`;
    if (this.#warnedUnpriced.has(key) || this.#warnedUnpriced.size >= MAX_UNPRICED_WARNINGS) return;
    this.#warnedUnpriced.add(key);
    this.#log.warn(unpricedWarning(u));
  }

  /** The budget spend, rebuilt when a reload changed the budgets. */
  budgets(): BudgetTracker {
    const { budgets: source, providers } = this.#config();
    if (source !== this.#budgetSource) {
      const renamed = renamedProviders(this.#budgetProviders, providers);
      this.#budgetSource = source;
      this.#budgetProviders = providers;
      // Every reload makes new budget objects: those that still count the same spend keep it, a
      // renamed provider's budget too.
      this.#budgets = new BudgetTracker(
        source ?? [],
        this.#now,
        this.#counters,
        this.#budgets,
        renamed,
      );
      void this.#budgets.load(this.#spend, { onlyNew: true }).catch((err) =>
        this.#log.warn(`Usage ledger: reading budget spend failed: ${messageOf(err)}`)
      );
    }
    return this.#budgets;
  }

  /** The budget a client's request to a target is over, and when it resets. */
  spentBudget(client: string, provider: string, model: string): SpentBudget | undefined {
    return this.budgets().spentBudget(client, provider, model);
  }

  /** The shared budget counters a client's request to a target must check before it goes. */
  sharedChecks(client: string, provider: string, model: string): SharedBudgetCheck[] {
    return this.budgets().sharedChecks(client, provider, model);
  }

  /** Entries not yet durable: queued, and in the write in flight (for tests and bounds). */
  get pending(): number {
    return this.#queue.length + (this.#inFlight?.length ?? 0);
  }

  /** Writes what is queued; resolves when it is durable. */
  flush(): Promise<void> {
    this.#flushSoon?.();
    this.#flushSoon = undefined;
    // One write at a time. While one is in flight (a store slow to answer, or one that never
    // does, such as a database behind a dropped connection), entries wait in the queue, within its
    // bound; chained behind the write, every batch would be held apart for as long as it waits.
    if (this.#inFlight) {
      this.#queue = this.#bounded(this.#queue);
      return this.#afterWrite ??= this.#writing.then(() => {
        this.#afterWrite = undefined;
        return this.flush();
      });
    }
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return this.#writing;
    if (this.#now() >= this.#nextPruneAt) {
      this.#nextPruneAt = this.#now() + PRUNE_EVERY_MS;
      this.#prune();
    }
    this.#inFlight = batch;
    this.#writing = this.#writing.then(() => this.#write(batch));
    return this.#writing;
  }

  // Writes one batch; never rejects. A batch the store refuses is written in parts: one entry
  // it will not take is dropped (said, and counted), the rest is written.
  async #write(batch: readonly LedgerEntry[]): Promise<void> {
    let outcome: SplitOutcome;
    this.#writesBegun++;
    try {
      await this.store.append(batch);
      outcome = { wrote: true, refused: [], kept: [], error: undefined };
    } catch (err) {
      outcome = await appendSplitting(this.store, batch, err);
    } finally {
      this.#writesEnded++;
    }
    this.#inFlight = undefined;
    for (const { entry, why } of outcome.refused) {
      this.#dropped.refused++;
      this.#log.warn(
        `Usage ledger: ${this.store.description} refused the record of request ${entry.id} ` +
          `(${printable(why.slice(0, MAX_WHY_CHARS))}); it is left out, the others are written`,
      );
    }
    if (outcome.wrote) {
      if (this.#failed) this.#log.info(`Usage ledger: writing to ${this.store.description} again`);
      this.#failed = false;
    } else {
      this.#lastError = messageOf(outcome.error);
      // Said once per outage: a full disk must not flood the log line by line.
      if (!this.#failed) {
        this.#log.warn(
          `Usage ledger: cannot write to ${this.store.description} (${this.#lastError}); ` +
            `records are kept in memory and written when it answers again`,
        );
      }
      this.#failed = true;
    }
    if (outcome.kept.length === 0) return;
    // Kept for the next try, oldest first, within a bound.
    this.#queue = this.#bounded([...outcome.kept, ...this.#queue]);
    if (!this.#closed) {
      // A store that took part of the batch answers: the rest goes with the next batch.
      const wait = outcome.wrote ? FLUSH_DELAY_MS : RETRY_MS;
      this.#flushSoon ??= this.#clock.timer(wait, () => void this.flush());
    }
  }

  // The newest MAX_PENDING of `entries`; those dropped for room are counted.
  #bounded(entries: LedgerEntry[]): LedgerEntry[] {
    if (entries.length <= MAX_PENDING) return entries;
    this.#dropped.backlog += entries.length - MAX_PENDING;
    return entries.slice(-MAX_PENDING);
  }

  /** Records given up on since start: refused by the store alone, or past the backlog's bound. */
  get dropped(): Readonly<DroppedRecords> {
    return this.#dropped;
  }

  /**
   * Writes what is queued before a report reads the store, `waitMs` at most: a report or a status
   * line asked for right after a turn must count it, and a store that does not answer must not
   * hold the report long (its read then says so).
   */
  async settle(waitMs = SETTLE_WAIT_MS): Promise<void> {
    // A store the last write failed on is not waited for: the read says what is wrong.
    if (this.pending === 0 || this.#failed) return;
    let stopWaiting: Cancel = () => {};
    const late = new Promise<void>((resolve) => {
      stopWaiting = this.#clock.timer(waitMs, resolve);
    });
    await Promise.race([this.flush(), late]).finally(() => stopWaiting());
  }

  /**
   * Writes what is left and closes the store. A store that does not answer (a database behind a
   * dropped connection) is waited for `waitMs` at most, or ccp would never exit; what it did not
   * take is said, since the warning of a failed write promised a later one.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    this.#stopFirstPrune();
    this.#stopRefreshing();
    let stopWaiting: Cancel = () => {};
    const late = new Promise<string>((resolve) => {
      stopWaiting = this.#clock.timer(waitMs, () => resolve(`no answer within ${waitMs / 1000} s`));
    });
    // Resolves with why the last write failed, or undefined once it went through.
    const written = this.flush().then(() => this.#failed ? this.#lastError : undefined);
    const why = await Promise.race([written, late]).finally(() => stopWaiting());
    this.#closed = true;
    this.#flushSoon?.();
    this.#flushSoon = undefined;
    const lost = this.pending;
    if (lost > 0) {
      this.#log.warn(
        `Usage ledger: ${lost} ${lost === 1 ? "record" : "records"} not written to ` +
          `${this.store.description} (${why ?? "it did not take them"})`,
      );
    }
    this.store.close();
  }
}
