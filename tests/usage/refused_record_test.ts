/**
 * One record the store will not take (a per-record limit of the store nobody knew of) must not
 * stop the ledger: before, the batch holding it was retried whole every second, and every record
 * after it waited in memory behind it until they were all lost at stop. Now the batch is written
 * in halves, the record refused alone is left out with one warning, and the rest is written.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { MAX_SPLIT_WRITES } from "../../src/usage/split_append.ts";
import type { UsageStore } from "../../src/usage/store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { testApp } from "../helpers/ccp.ts";
import { servedRecord } from "../helpers/records.ts";

const REFUSAL = "Value too large (max 65536 bytes)";
const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });

function record(id: string): RequestRecord {
  return servedRecord({ id });
}

/** `store`, refusing every write that holds a record whose id `refuses` names; counts writes. */
function refusing(store: UsageStore, refuses: (id: string) => boolean) {
  const seen = { writes: 0 };
  const wrapped: UsageStore = {
    description: store.description,
    append(entries) {
      seen.writes++;
      if (entries.some((e) => refuses(e.id))) return Promise.reject(new Error(REFUSAL));
      return store.append(entries);
    },
    grouped: (since, by) => store.grouped(since, by),
    totals: (since, filter) => store.totals(since, filter),
    series: (since, bucket) => store.series(since, bucket),
    session: (id) => store.session(id),
    prune: (before) => store.prune(before),
    // The test closes the store it opened.
    close() {},
  };
  return { store: wrapped, seen };
}

async function withKv(
  fn: (kv: UsageStore, lines: string[], log: ReturnType<typeof createLogger>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_refused_record_" });
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => void lines.push(l), colour: false });
  const kv = await openKvStore(`${dir}/usage.kv`, { retentionMs: 0 });
  try {
    await fn(kv, lines, log);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Deno KV ledger: a record the store refuses is left out with one warning, the rest is written", async () => {
  await withKv(async (kv, lines, log) => {
    const { store } = refusing(kv, (id) => id === "req_refused");
    const ledger = new Ledger(store, () => config, log);
    for (const id of ["req_1", "req_2", "req_refused", "req_3", "req_4", "req_5"]) {
      ledger.ended(record(id));
    }
    await ledger.flush();
    assert.equal(ledger.pending, 0, lines.join(""));
    const rows = await kv.grouped(0, "provider");
    assert.equal(rows.get("up")?.requests, 5);
    const warnings = lines.filter((l) => l.includes("WARN"));
    assert.equal(warnings.length, 1, lines.join(""));
    assert.match(warnings[0]!, /refused the record of request req_refused \(Value too large/);
    assert.doesNotMatch(lines.join(""), /kept in memory/);
    assert.deepEqual(ledger.dropped, { refused: 1, backlog: 0 });
    // The records after it go on being written at once.
    ledger.ended(record("req_6"));
    await ledger.flush();
    assert.equal((await kv.grouped(0, "provider")).get("up")?.requests, 6);
    await ledger.close();
  });
});

Deno.test("a record refused alone in its batch waits until the store takes another, then goes", async () => {
  await withKv(async (kv, lines, log) => {
    const { store } = refusing(kv, (id) => id === "req_refused");
    const ledger = new Ledger(store, () => config, log);
    // Alone, a refusal cannot be told from a store that is away: it is kept, as in an outage.
    ledger.ended(record("req_refused"));
    await ledger.flush();
    assert.equal(ledger.pending, 1);
    assert.equal(ledger.dropped.refused, 0);
    ledger.ended(record("req_next"));
    await ledger.flush();
    assert.equal(ledger.pending, 0, lines.join(""));
    assert.equal((await kv.grouped(0, "provider")).get("up")?.requests, 1);
    assert.equal(ledger.dropped.refused, 1);
    assert.match(lines.join(""), /writing to Deno KV at .* again/);
    await ledger.close();
  });
});

Deno.test("a store that refuses everything drops nothing, and is tried a bounded number of times", async () => {
  await withKv(async (kv, lines, log) => {
    const { store, seen } = refusing(kv, () => true);
    const ledger = new Ledger(store, () => config, log);
    for (let i = 0; i < 1000; i++) ledger.ended(record(`req_${i}`));
    await ledger.flush();
    assert.equal(ledger.pending, 1000);
    assert.equal(ledger.dropped.refused, 0);
    assert.ok(seen.writes <= 1 + MAX_SPLIT_WRITES, `${seen.writes} writes`);
    assert.equal(lines.filter((l) => l.includes("WARN")).length, 1, lines.join(""));
    assert.match(lines.join(""), /cannot write to .*\(Value too large.*kept in memory/);
    await ledger.close(200);
  });
});

Deno.test("finding one refused record among a thousand takes a few dozen writes", async () => {
  await withKv(async (kv, lines, log) => {
    const { store, seen } = refusing(kv, (id) => id === "req_617");
    const ledger = new Ledger(store, () => config, log);
    for (let i = 0; i < 1000; i++) ledger.ended(record(`req_${i}`));
    await ledger.flush();
    assert.equal(ledger.pending, 0, lines.join(""));
    assert.equal((await kv.grouped(0, "provider")).get("up")?.requests, 999);
    // The whole batch, two writes per halving (10 of them), and the record alone once more.
    assert.ok(seen.writes <= 1 + 2 * 10 + 1, `${seen.writes} writes`);
    await ledger.close();
  });
});

Deno.test("/metrics counts the records the ledger left out", async () => {
  await withKv(async (kv, _lines, log) => {
    const { store } = refusing(kv, (id) => id === "req_refused");
    const ledger = new Ledger(store, () => config, log);
    const { app } = testApp(config, { ledger });
    const scrape = async () => {
      const res = await app.fetch(new Request("http://127.0.0.1/metrics"));
      return await res.text();
    };
    assert.match(await scrape(), /^ccp_usage_records_dropped_total\{reason="refused"\} 0$/m);
    for (const id of ["req_1", "req_refused", "req_2"]) ledger.ended(record(id));
    await ledger.flush();
    const text = await scrape();
    assert.match(text, /^# TYPE ccp_usage_records_dropped_total counter$/m);
    assert.match(text, /^ccp_usage_records_dropped_total\{reason="refused"\} 1$/m);
    assert.match(text, /^ccp_usage_records_dropped_total\{reason="backlog"\} 0$/m);
    await ledger.close();
  });
});
