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

Deno.test("the status page says how a route spreads: weights and round-robin keys", async () => {
  const base = testConfig({
    providers: [
      provider("a", { apiKeys: ["k1", "k2"], keyStrategy: "round_robin" }),
      provider("b"),
    ],
    routes: { default: "a/m" },
  });
  const config = {
    ...base,
    routes: {
      default: [
        { provider: "a", model: "m", weight: 2 },
        { provider: "b", model: "m", weight: 0 },
      ],
      opus: [{ provider: "b", model: "m" }],
    },
  };
  const state = await uiState({
    config,
    snapshot: new ResilienceRegistry().snapshot(),
    inflight: 0,
    recent: new RecentRequests(),
    version: "test",
  });
  const spread = state.routes.map((r) => r.targets.map((t) => `${t.target} ${t.spread ?? "-"}`));
  assert.deepEqual(spread, [
    ["a/m weight 2, keys round robin", "b/m failover only"],
    ["b/m -"],
  ]);
});
