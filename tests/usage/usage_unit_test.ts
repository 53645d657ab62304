import assert from "node:assert/strict";
import type { LedgerEntry } from "../../src/usage/entry.ts";
import { BudgetTracker } from "../../src/usage/budgets.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { parseSince, periodEnd, periodStart } from "../../src/usage/period.ts";
import { builtInPrice, costOf } from "../../src/usage/prices.ts";
import { reportOf } from "../../src/usage/totals.ts";

const HOUR = 3600_000;
// Wednesday 2026-12-02 13:30 UTC.
const WED = Date.UTC(2026, 11, 2, 13, 30);

function entry(over: Partial<LedgerEntry> & { at: number }): LedgerEntry {
  return {
    id: `req_${over.at}_${Math.random()}`,
    client: "default",
    route: "default",
    provider: "p",
    model: "m",
    status: 200,
    error: false,
    stream: true,
    inputTokens: 100,
    outputTokens: 10,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    durationMs: 5,
    ...over,
  };
}

Deno.test("periods: UTC days, weeks from Monday, calendar months", () => {
  assert.equal(new Date(periodStart("day", WED)).toISOString(), "2026-12-02T00:00:00.000Z");
  assert.equal(new Date(periodStart("week", WED)).toISOString(), "2026-11-30T00:00:00.000Z");
  assert.equal(new Date(periodEnd("week", WED)).toISOString(), "2026-12-07T00:00:00.000Z");
  const sunday = Date.UTC(2026, 11, 6, 23, 59);
  assert.equal(new Date(periodStart("week", sunday)).toISOString(), "2026-11-30T00:00:00.000Z");
  assert.equal(new Date(periodStart("month", WED)).toISOString(), "2026-12-01T00:00:00.000Z");
  assert.equal(new Date(periodEnd("month", WED)).toISOString(), "2027-01-01T00:00:00.000Z");
});

Deno.test("--since: relative spans and dates; nonsense is refused", () => {
  assert.equal(parseSince("24h", WED), WED - 24 * HOUR);
  assert.equal(parseSince("7d", WED), WED - 7 * 24 * HOUR);
  assert.equal(parseSince("2026-11-01", WED), Date.UTC(2026, 10, 1));
  assert.equal(parseSince("2026-02-30", WED), undefined);
  assert.equal(parseSince("yesterday", WED), undefined);
  // The periods budgets count by: the same starts as periodStart's.
  assert.equal(parseSince("today", WED), periodStart("day", WED));
  assert.equal(parseSince("week", WED), periodStart("week", WED));
  assert.equal(new Date(parseSince("month", WED)!).toISOString(), "2026-12-01T00:00:00.000Z");
  assert.equal(parseSince("constructor", WED), undefined);
});

Deno.test("prices: the built-in table by model name, cost as Σ tokens × price / 10⁶", () => {
  assert.deepEqual(builtInPrice("anthropic/claude-sonnet-4-6"), {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
  });
  assert.equal(builtInPrice("qwen3-coder:30b"), undefined);
  // Looked up once per model, then remembered: the same answers again, past the memory's bound.
  for (let i = 0; i < 300; i++) assert.equal(builtInPrice(`unknown-${i}`), undefined);
  assert.equal(builtInPrice("anthropic/claude-sonnet-4-5")?.input, 3);
  assert.equal(builtInPrice("gpt-5-mini")?.output, 2);
  assert.equal(builtInPrice("gpt-5-mini")?.output, 2);
  // GPT-5 Pro has no cached-input price; DeepSeek's API serves V4 Flash also under its old names.
  assert.deepEqual(builtInPrice("gpt-5-pro"), { input: 15, output: 120 });
  const flash = { input: 0.14, output: 0.28, cacheRead: 0.0028 };
  for (
    const name of ["deepseek-v4-flash", "deepseek-flash", "deepseek-chat", "deepseek-reasoner"]
  ) {
    assert.deepEqual(builtInPrice(name, "deepseek"), flash, name);
  }
  // Gemini 3 at Google's standard tier (a longer prompt than 200k costs more, as for 2.5 Pro).
  assert.deepEqual(builtInPrice("gemini-3-pro-preview"), {
    input: 2,
    output: 12,
    cacheRead: 0.2,
    above: { promptTokens: 200_000, input: 4, output: 18, cacheRead: 0.4 },
  });
  assert.deepEqual(builtInPrice("google/gemini-3-flash-preview"), {
    input: 0.5,
    output: 3,
    cacheRead: 0.05,
  });
  // OpenRouter's free variants cost nothing, though the paid model's pattern matches their names.
  const free = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  assert.deepEqual(builtInPrice("moonshotai/kimi-k2:free"), free);
  assert.deepEqual(builtInPrice("openai/gpt-oss-120b:free"), free);
  assert.deepEqual(builtInPrice("qwen/qwen3-coder:free"), free);
  assert.equal(builtInPrice("moonshotai/kimi-k2", "kimi")?.input, 0.6);
  // So does OpenRouter's free models router, which picks one of them: unpriced, a USD budget
  // over it warned that its requests add nothing.
  assert.deepEqual(builtInPrice("openrouter/free"), free);
  assert.equal(builtInPrice("openrouter/auto"), undefined);
  const price = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
  assert.equal(
    costOf({
      inputTokens: 1000,
      outputTokens: 100,
      cacheReadInputTokens: 2000,
      cacheCreationInputTokens: 400,
    }, price),
    (1000 * 3 + 100 * 15 + 2000 * 0.3 + 400 * 3.75) / 1e6,
  );
});

Deno.test("report: rows sorted, cost null only where no price is known", () => {
  const report = reportOf(
    0,
    "provider",
    new Map([
      ["b", {
        requests: 1,
        errors: 1,
        inputTokens: 1,
        outputTokens: 1,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costNanoUsd: 0,
        priced: 0,
        unpriced: 1,
      }],
      ["a", {
        requests: 2,
        errors: 0,
        inputTokens: 2,
        outputTokens: 2,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costNanoUsd: 1500,
        priced: 2,
        unpriced: 0,
      }],
    ]),
  );
  assert.deepEqual(report.rows.map((r) => [r.key, r.cost_usd]), [["a", 1.5e-6], ["b", null]]);
  assert.equal(report.total.cost_usd, 1.5e-6);
  assert.equal(report.total.errors, 1);
});

Deno.test("kv store: exact partial hours, whole hours from counters, sessions, prune", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 90 * 24 * HOUR });
  try {
    const base = Date.UTC(2026, 11, 2, 10); // 10:00
    await store.append([
      entry({ at: base + 10 * 60_000, provider: "a", session: "s1" }), // 10:10
      entry({ at: base + 50 * 60_000, provider: "b", costUsd: 0.5, session: "s1" }), // 10:50
      entry({ at: base + 70 * 60_000, provider: "a", status: 502, error: true }), // 11:10
      entry({ at: base - 2 * HOUR, provider: "a" }), // 08:00
    ]);
    // From 10:30: only the 10:50 entry of that hour, and all of 11:00.
    const grouped = await store.grouped(base + 30 * 60_000, "provider");
    assert.deepEqual([...grouped.keys()].sort(), ["a", "b"]);
    assert.equal(grouped.get("b")!.costNanoUsd, 5e8);
    assert.equal(grouped.get("a")!.requests, 1);
    assert.equal(grouped.get("a")!.errors, 1);
    const all = await store.grouped(base - 3 * HOUR, "day");
    assert.equal(all.get("2026-12-02")!.requests, 4);
    assert.equal((await store.totals(base, { provider: "a" })).requests, 2);
    const series = await store.series(base - 3 * HOUR, "hour");
    assert.deepEqual(series.map((p) => [p.start - base, p.counters.requests]), [
      [-2 * HOUR, 1],
      [0, 2],
      [HOUR, 1],
    ]);
    const session = await store.session("s1");
    assert.equal(session.totals.requests, 2);
    assert.equal(session.latest?.provider, "b");
    assert.equal(await store.prune(base), 1);
    assert.equal((await store.grouped(0, "day")).get("2026-12-02")!.requests, 3);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kv store: a batch tried again after a write that failed part-way counts each entry once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 90 * 24 * HOUR });
  // One session per entry: the batch needs several commits (the store's limit is 1000 writes).
  const batch = Array.from({ length: 300 }, (_, i) => entry({ at: WED + i, session: `s${i}` }));
  const later = [entry({ at: WED + 400, session: "s0" })];
  const probe = await Deno.openKv(":memory:");
  const atomic = Object.getPrototypeOf(probe.atomic()) as Deno.AtomicOperation;
  probe.close();
  const commit = atomic.commit;
  let commits = 0;
  atomic.commit = function (this: Deno.AtomicOperation) {
    // The second commit fails, as a full disk would fail it.
    if (++commits === 2) return Promise.reject(new Error("disk I/O error"));
    return commit.call(this);
  };
  try {
    await assert.rejects(store.append(batch), /disk I\/O error/);
    atomic.commit = commit;
    // The ledger tries the batch again, with what ended meanwhile after it.
    await store.append([...batch, ...later]);
    const total = await store.totals(periodStart("day", WED), {});
    assert.equal(total.requests, 301);
    assert.equal(total.inputTokens, 30_100);
    assert.equal((await store.grouped(WED - HOUR, "day")).get("2026-12-02")?.requests, 301);
    assert.equal((await store.session("s0")).totals.requests, 2);
    assert.equal((await store.session("s299")).totals.requests, 1);
  } finally {
    atomic.commit = commit;
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("budgets: spend per period, provider/model and client scopes, reset at the period's end", () => {
  let now = WED;
  const tracker = new BudgetTracker([
    { provider: "p", tokens: 1000, per: "day", routeAwayAt: 0.9 },
    { provider: "q", model: "big", costUsd: 1, per: "month", routeAwayAt: 1 },
    { client: "ci", tokens: 50, per: "week", routeAwayAt: 1 },
  ], () => now);
  tracker.add(entry({ at: now, provider: "p", inputTokens: 850, outputTokens: 0 }));
  assert.equal(tracker.spentBudget("default", "p", "m")?.until, undefined);
  tracker.add(entry({ at: now, provider: "p", inputTokens: 50, outputTokens: 0 }));
  assert.equal(tracker.spentBudget("default", "p", "m")?.until, Date.UTC(2026, 11, 3));
  tracker.add(entry({ at: now, provider: "q", model: "big", costUsd: 1 }));
  assert.equal(tracker.spentBudget("default", "q", "small")?.until, undefined);
  assert.equal(tracker.spentBudget("default", "q", "big")?.until, Date.UTC(2027, 0, 1));
  tracker.add(entry({ at: now, client: "ci", provider: "r", inputTokens: 60 }));
  assert.equal(tracker.spentBudget("ci", "r", "m")?.until, Date.UTC(2026, 11, 7));
  assert.equal(tracker.spentBudget("default", "r", "m")?.until, undefined);
  now = Date.UTC(2026, 11, 3, 0, 1); // the next day: the daily budget starts again
  assert.equal(tracker.spentBudget("default", "p", "m")?.until, undefined);
  assert.equal(tracker.states()[0]!.spent, 0);
});

Deno.test("kv store: a request refused before routing is grouped under route `none`, old `-` hours too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_none_" });
  const path = `${dir}/usage.kv`;
  const base = Date.UTC(2026, 11, 2, 10);
  try {
    // An hour summed by an older ccp, which wrote `-` for "no route".
    const old = await Deno.openKv(path);
    await old.set(["h", base - 2 * HOUR, "-", "-", "-", "default", "requests"], new Deno.KvU64(1n));
    old.close();
    const store = await openKvStore(path, { retentionMs: 90 * 24 * HOUR });
    try {
      const { route: _, provider: _p, model: _m, ...unrouted } = entry({
        at: base - HOUR,
        status: 400,
        error: true,
      });
      await store.append([unrouted, entry({ at: base - HOUR })]);
      const grouped = await store.grouped(base - 3 * HOUR, "route");
      assert.deepEqual([...grouped.keys()].sort(), ["default", "none"]);
      assert.equal(grouped.get("none")!.requests, 2);
      assert.equal(grouped.get("none")!.errors, 1);
      // No provider is `none` too, as /metrics and the status page say, old `-` hours included.
      const byProvider = await store.grouped(base - 3 * HOUR, "provider");
      assert.deepEqual([...byProvider.keys()].sort(), ["none", "p"]);
      assert.equal(byProvider.get("none")!.requests, 2);
      const byModel = await store.grouped(base - 3 * HOUR, "model");
      assert.equal(byModel.get("none")!.requests, 2);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
