/** The status page's data while the usage ledger does not answer: routes and requests still come. */

import assert from "node:assert/strict";
import { uiState } from "../../src/observe/ui/state.ts";
import { RecentRequests } from "../../src/observe/recent.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { createLogger } from "../../src/core/log.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { servedRecord } from "../helpers/records.ts";

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

Deno.test("the status page's charts show no cost for an hour of unpriced requests, and $0 for a free API's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ui_cost_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 7 * 86_400_000 });
  const config = testConfig({
    providers: [
      provider("paid"),
      provider("nim", { preset: "nvidia_nim" }),
      provider("local", { preset: "ollama" }),
    ],
    routes: { default: "paid/claude-sonnet-4-6" },
  });
  const ledger = new Ledger(store, () => config, createLogger({ level: "error", write: () => {} }));
  try {
    const hour = 3600_000;
    const now = Date.now();
    const served = [
      ["paid", "claude-sonnet-4-6", 3],
      ["nim", "moonshotai/kimi-k2-instruct", 2],
      ["local", "qwen3-coder", 1],
    ] as const;
    for (const [provider, model, hoursAgo] of served) {
      ledger.ended(
        servedRecord({ id: provider, provider, model, startedAt: now - hoursAgo * hour }),
      );
    }
    await ledger.flush();
    const state = await uiState({
      config,
      snapshot: new ResilienceRegistry().snapshot(),
      inflight: 0,
      recent: new RecentRequests(),
      ledger,
      version: "test",
    });
    const at = (hoursAgo: number) => {
      const start = now - hoursAgo * hour;
      return state.usage!.hourly.find((p) => p.start === start - (start % hour))!;
    };
    assert.equal(at(3).costUsd, (10 * 3 + 5 * 15) / 1e6, "a priced model");
    assert.equal(at(2).costUsd, 0, "a free API: $0");
    assert.equal(at(2).requests, 1);
    assert.equal(at(1).costUsd, null, "a local server: no cost known");
    assert.equal(at(1).requests, 1);
    assert.equal(at(4).costUsd, 0, "no requests: nothing spent");
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the status page drops a short-context note once no route or latest request uses the model", async () => {
  const shorts = () => [{ provider: "ollama", model: "qwen3-coder", context: 4096 }];
  const note = "ollama/qwen3-coder: context 4096, too small (see ccp check)";
  const providers = [provider("up"), provider("ollama", { preset: "ollama" })];
  const state = (routes: Record<string, string>, recent = new RecentRequests()) =>
    uiState({
      config: testConfig({ providers, routes }),
      snapshot: new ResilienceRegistry().snapshot(),
      inflight: 0,
      recent,
      version: "test",
      shortContexts: shorts,
    });
  // Routed to it: named.
  assert.deepEqual((await state({ default: "ollama/qwen3-coder" })).contextWarnings, [note]);
  // `ollama/*` passes any model a client names to it: named too.
  assert.deepEqual(
    (await state({ default: "up/m", local: "ollama/*" })).contextWarnings,
    [note],
  );
  // A reload took every route away from it, and no request went there since: no note.
  assert.equal((await state({ default: "up/m" })).contextWarnings, undefined);
  // A client that names the model itself, with no route to it: named while its request is shown.
  const recent = new RecentRequests();
  recent.ended(servedRecord({ id: "req_1", provider: "ollama", model: "qwen3-coder" }));
  assert.deepEqual((await state({ default: "up/m" }, recent)).contextWarnings, [note]);
});
