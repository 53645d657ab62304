/**
 * An upstream's usage numbers are its own: a fractional count, or one no model could reach (a
 * server that sends a garbage or overflowed number), must not stop the ledger. Before, the store
 * refused the whole batch, and every later record waited in memory for a write that never went
 * through, until the records were lost at stop.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import type { UsageTotals } from "../../src/upstream/transport.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { provider, testConfig } from "../helpers/config.ts";

function record(id: string, usage: UsageTotals): RequestRecord {
  return {
    id,
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    provider: "up",
    model: "m",
    attempts: [],
    status: 200,
    outcome: "ok",
    usage,
    durationMs: 1,
  };
}

Deno.test("ledger: odd counts from an upstream are written, and the records after them too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_odd_counts_" });
  const warnings: string[] = [];
  const log = createLogger({ level: "warn", write: (l) => void warnings.push(l), colour: false });
  const config = testConfig({
    providers: [provider("up", { modelSettings: { m: { price: { input: 15, output: 75 } } } })],
    routes: { default: "up/m" },
  });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 0 });
  const ledger = new Ledger(store, () => config, log);
  try {
    ledger.ended(record("req_fraction", { inputTokens: 10.5, outputTokens: 2.25 }));
    ledger.ended(record("req_huge", { inputTokens: 1e15, outputTokens: 1e20 }));
    ledger.ended(record("req_plain", { inputTokens: 100, outputTokens: 10 }));
    await ledger.flush();
    assert.equal(ledger.pending, 0, warnings.join("\n"));
    assert.deepEqual(warnings, []);
    const rows = await store.grouped(0, "provider");
    const up = rows.get("up");
    assert.equal(up?.requests, 3);
    assert.ok(Number.isInteger(up.inputTokens) && up.inputTokens >= 100 + 10, `${up.inputTokens}`);
    assert.ok(Number.isSafeInteger(up.costNanoUsd), `${up.costNanoUsd}`);
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});
