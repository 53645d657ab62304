/** The ledger's own bounds: what it holds while its store does not answer. */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { entryOf, type LedgerEntry } from "../../src/usage/entry.ts";
import { Ledger, MAX_PENDING } from "../../src/usage/ledger.ts";
import type { UsageFilter, UsageStore } from "../../src/usage/store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import type { Config } from "../../src/config/types.ts";
import { addCounters, countersOf, zeroCounters } from "../../src/usage/totals.ts";
import { FakeClock } from "../resilience/fake_clock.ts";
import { servedRecord } from "../helpers/records.ts";

const quiet = createLogger({ level: "error", write: () => {}, colour: false });

/** A store whose writes wait until `answer()`; it counts what it was given. */
function silentStore() {
  let answer = () => {};
  const waiting = new Promise<void>((resolve) => (answer = resolve));
  const written = { calls: 0, entries: 0 };
  const store = {
    description: "a store that does not answer",
    append(entries: readonly LedgerEntry[]) {
      written.calls++;
      written.entries += entries.length;
      return waiting;
    },
    close() {},
  } as unknown as UsageStore;
  return { store, written, answer: () => answer() };
}

function record(n: number): RequestRecord {
  return servedRecord({ id: `req_${n}` });
}

Deno.test("a store that does not answer holds no more than MAX_PENDING entries in memory", async () => {
  const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  const { store, written, answer } = silentStore();
  const ledger = new Ledger(store, () => config, quiet);
  const total = MAX_PENDING + 20_000;
  for (let n = 0; n < total; n++) {
    ledger.ended(record(n));
    // The write timer's flush, many times over while the first write hangs.
    if (n % 1000 === 0) void ledger.flush();
  }
  void ledger.flush();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(written.calls, 1, "one write at a time");
  assert.ok(ledger.pending <= MAX_PENDING + 1000, `${ledger.pending} pending`);
  // The store answers again: what was kept is written, and no more than the bound was kept.
  answer();
  await ledger.close();
  assert.ok(written.entries <= MAX_PENDING + 1000, `${written.entries} written`);
  assert.ok(written.entries > MAX_PENDING - 1000, `${written.entries} written`);
  // What was dropped for room is counted (ccp_usage_records_dropped_total{reason="backlog"}).
  assert.equal(ledger.dropped.backlog, total - written.entries);
  assert.equal(ledger.dropped.refused, 0);
});

Deno.test("a reload that keeps a budget keeps its spend, also what is not yet written", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 86_400_000 });
  const budgeted = (tokens: number): Config => ({
    ...testConfig({ providers: [provider("up")], routes: { default: "up/m" } }),
    budgets: [{ provider: "up", tokens, per: "day", routeAwayAt: 1 }],
  });
  // Each SIGHUP loads a new config object, budgets included, even when the file did not change.
  let config = budgeted(100);
  const ledger = new Ledger(store, () => config, quiet);
  try {
    await ledger.start();
    ledger.ended(record(1)); // 15 tokens, written
    await ledger.flush();
    ledger.ended(record(2)); // 15 tokens, still queued when the reload comes
    config = budgeted(100);
    assert.equal(ledger.budgets().states()[0]!.spent, 30);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ledger.budgets().states()[0]!.spent, 30, "after the new tracker's read");
    // A new limit for the same target and period is the same spend against another limit.
    config = budgeted(40);
    ledger.ended(record(3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [state] = ledger.budgets().states();
    assert.equal(state!.spent, 45);
    assert.equal(state!.exhausted, true);
    // A budget the old config did not have is read from the ledger (what is written of it).
    config = {
      ...budgeted(100),
      budgets: [{ provider: "up", model: "m", tokens: 100, per: "week", routeAwayAt: 1 }],
    };
    await ledger.flush();
    ledger.budgets();
    // The new budget's spend is read in the background: on a loaded machine that can take a while.
    const readBy = Date.now() + 5_000;
    while (ledger.budgets().states()[0]!.spent !== 45 && Date.now() < readBy) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(ledger.budgets().states()[0]!.spent, 45);
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a shared ledger that stops answering is not asked again while it is still asked", async () => {
  const config: Config = {
    ...testConfig({ providers: [provider("up")], routes: { default: "up/m" } }),
    budgets: [{ provider: "up", tokens: 1000, per: "day", routeAwayAt: 1 }],
  };
  // Answers the start's read, then hangs (a paused database): every later read waits.
  let reads = 0;
  const zero = zeroCounters();
  const store = {
    description: "a shared store that stops answering",
    shared: true,
    totals: () => (++reads === 1 ? Promise.resolve(zero) : new Promise(() => {})),
    append: () => Promise.resolve(),
    prune: () => Promise.resolve(0),
    close() {},
  } as unknown as UsageStore;
  const clock = new FakeClock();
  const ledger = new Ledger(store, () => config, quiet, undefined, clock);
  await ledger.start();
  await clock.advance(3500);
  // One read at start, one refresh that never ended, and no pile of others behind it.
  assert.equal(reads, 2, `${reads} reads after 3.5 s`);
  // A read unanswered for 30 s is given up on: the next refresh asks again, once.
  await clock.advance(30_000);
  assert.equal(reads, 3, `${reads} reads after 33.5 s`);
  await ledger.close();
  assert.equal(clock.pending, 0, "a closed ledger leaves no timer behind");
});

Deno.test("stopping with a store that does not answer waits a bounded time and says what is lost", async () => {
  const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  const { store, answer } = silentStore();
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => lines.push(l), colour: false });
  const ledger = new Ledger(store, () => config, log);
  for (let i = 0; i < 3; i++) ledger.ended(record(i));
  try {
    // A database behind a dropped connection never answers: ccp must still exit.
    const started = Date.now();
    const closed = await Promise.race([
      ledger.close(200).then(() => "closed"),
      new Promise((r) => setTimeout(() => r("still waiting"), 2000)),
    ]);
    assert.equal(closed, "closed");
    assert.ok(Date.now() - started < 1000);
    assert.match(
      lines.join(""),
      /Usage ledger: 3 records not written to a store that does not answer \(no answer within 0\.2 s\)/,
    );
  } finally {
    answer();
  }
});

Deno.test("stopping with a store that refuses the last write says the records are lost", async () => {
  const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  const store = {
    description: "a full disk",
    append: () => Promise.reject(new Error("no space left on device")),
    close() {},
  } as unknown as UsageStore;
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => lines.push(l), colour: false });
  const ledger = new Ledger(store, () => config, log);
  ledger.ended(record(1));
  await ledger.close(200);
  // The first warning promised a later write; at the stop there is none.
  assert.match(
    lines.join(""),
    /Usage ledger: 1 record not written to a full disk \(no space left on device\)/,
  );
});

Deno.test("a report's wait for the queued records is bounded when the store does not answer", async () => {
  const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  const { store, written, answer } = silentStore();
  const ledger = new Ledger(store, () => config, quiet);
  ledger.ended(record(1));
  const started = performance.now();
  await ledger.settle(100);
  const waited = performance.now() - started;
  assert.ok(waited >= 90 && waited < 1000, `waited ${waited} ms`);
  assert.equal(written.entries, 1, "the queued record was handed to the store");
  answer();
  await ledger.settle(100);
  assert.equal(ledger.pending, 0);
  await ledger.close();
});

Deno.test("a budget a reload adds counts the records not yet written, and those that end while it is read", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvStore(`${dir}/usage.kv`, { retentionMs: 86_400_000 });
  // The budget's read waits until let go: requests end while it is on its way.
  let letGo = () => {};
  let reading = () => {};
  const readStarted = new Promise<void>((resolve) => (reading = resolve));
  const store = {
    description: kv.description,
    append: (entries: readonly LedgerEntry[]) => kv.append(entries),
    prune: (before: number) => kv.prune(before),
    close: () => kv.close(),
    totals: async (since: number, filter: UsageFilter) => {
      const counters = await kv.totals(since, filter);
      reading();
      await new Promise<void>((resolve) => (letGo = resolve));
      return counters;
    },
  } as unknown as UsageStore;
  const base = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  let config: Config = base;
  const ledger = new Ledger(store, () => config, quiet);
  try {
    await ledger.start();
    ledger.ended(record(1)); // 15 tokens, written
    await ledger.flush();
    ledger.ended(record(2)); // 15 tokens, queued when the reload comes
    config = { ...base, budgets: [{ provider: "up", tokens: 100, per: "day", routeAwayAt: 1 }] };
    ledger.budgets();
    await readStarted;
    ledger.ended(record(3)); // ends while the budget's spend is read
    letGo();
    const readBy = Date.now() + 5_000;
    while (ledger.budgets().states()[0]!.spent < 45 && Date.now() < readBy) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Settled: the records written since count once, not again.
    await ledger.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ledger.budgets().states()[0]!.spent, 45);
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A shared store that sums what it took; `hold()` makes its writes wait until let go. */
function summingStore() {
  const taken: LedgerEntry[] = [];
  let held: Promise<void> | undefined;
  let letGo = () => {};
  const store = {
    description: "a shared store",
    shared: true,
    append: async (entries: readonly LedgerEntry[]) => {
      await held;
      taken.push(...entries);
    },
    totals: (since: number) => {
      const counters = zeroCounters();
      for (const e of taken) if (e.at >= since) addCounters(counters, countersOf(e));
      return Promise.resolve(counters);
    },
    prune: () => Promise.resolve(0),
    close() {},
  } as unknown as UsageStore;
  return {
    store,
    taken,
    hold: () => (held = new Promise<void>((resolve) => (letGo = resolve))),
    letGo: () => letGo(),
  };
}

Deno.test("a shared ledger's budget refresh counts its records not yet written, each once", async () => {
  const config: Config = {
    ...testConfig({ providers: [provider("up")], routes: { default: "up/m" } }),
    budgets: [{ provider: "up", tokens: 1000, per: "day", routeAwayAt: 1 }],
  };
  const { store, taken, hold, letGo } = summingStore();
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  // Another instance's record: the store knows more than this instance spent.
  taken.push(entryOf(servedRecord({ id: "req_0", startedAt: clock.now() }), undefined));
  const ledger = new Ledger(store, () => config, quiet, undefined, clock);
  const spent = () => ledger.budgets().states()[0]!.spent;
  await ledger.start();
  assert.equal(spent(), 15);
  // Ends 50 ms before the refresh: still queued when the store is read.
  await clock.advance(950);
  ledger.ended(servedRecord({ id: "req_1", startedAt: clock.now() }));
  await clock.advance(100);
  assert.equal(taken.length, 2, "written after the refresh");
  assert.equal(spent(), 30, "the refresh read the store before the record was in it");
  // Written, and read again: once.
  await clock.advance(1000);
  assert.equal(spent(), 30, "a written record counts once");
  // A write that does not end before the reads (a slow database) still counts.
  hold();
  ledger.ended(servedRecord({ id: "req_2", startedAt: clock.now() }));
  await clock.advance(1500);
  assert.equal(taken.length, 2, "the second write still waits");
  assert.equal(spent(), 45, "reads during a slow write");
  letGo();
  await clock.advance(1000);
  assert.equal(taken.length, 3);
  assert.equal(spent(), 45, "after the slow write");
  await ledger.close();
});
