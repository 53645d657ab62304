/** The status page's data while the usage ledger does not answer: routes and requests still come. */

import assert from "node:assert/strict";
import { uiState } from "../../src/observe/ui/state.ts";
import { RecentRequests } from "../../src/observe/recent.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import type { Ledger } from "../../src/usage/ledger.ts";
import { provider, testConfig } from "../helpers/config.ts";

function ledgerThat(read: () => Promise<never>): Ledger {
  return {
    store: { description: "PostgreSQL at test", series: read, grouped: read },
    budgets: () => ({ states: () => [] }),
  } as unknown as Ledger;
}

Deno.test({
  name: "a usage ledger that fails or hangs leaves the routes on the status page",
  sanitizeOps: false,
  fn: async () => {
    const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
    const deps = {
      config,
      snapshot: new ResilienceRegistry().snapshot(),
      inflight: 0,
      recent: new RecentRequests(),
      version: "test",
    };
    // PostgreSQL away: the reads fail.
    const failed = await uiState({
      ...deps,
      ledger: ledgerThat(() => Promise.reject(new Error("connection refused"))),
    });
    assert.deepEqual(failed.routes.map((r) => r.name), ["default"]);
    assert.equal(failed.usage, undefined);
    assert.match(failed.usageUnavailable ?? "", /connection refused/);
    // PostgreSQL paused: the reads never end; the page gets its routes all the same.
    const started = Date.now();
    const hung = await uiState({ ...deps, ledger: ledgerThat(() => new Promise<never>(() => {})) });
    assert.ok(Date.now() - started < 4000);
    assert.deepEqual(hung.routes.map((r) => r.name), ["default"]);
    assert.match(hung.usageUnavailable ?? "", /no answer/);
  },
});
