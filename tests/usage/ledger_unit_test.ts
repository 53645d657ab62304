/** The ledger's own bounds: what it holds while its store does not answer. */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import type { LedgerEntry } from "../../src/usage/entry.ts";
import { Ledger, MAX_PENDING } from "../../src/usage/ledger.ts";
import type { UsageStore } from "../../src/usage/store.ts";
import { provider, testConfig } from "../helpers/config.ts";

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
  return {
    id: `req_${n}`,
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    provider: "up",
    model: "m",
    attempts: [],
    status: 200,
    outcome: "ok",
    usage: { inputTokens: 10, outputTokens: 5 },
    durationMs: 1,
  };
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
});
