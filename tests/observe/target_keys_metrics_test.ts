/**
 * A 429 cools a key down for one model: /metrics must say, per target, how many keys can serve it
 * now (a provider-wide "ready" hides a target with no key left), without a series per model a
 * client ever named.
 */

import assert from "node:assert/strict";
import { Metrics } from "../../src/observe/metrics.ts";
import { configuredTargets } from "../../src/observe/target_keys.ts";
import { type KeyLease, KeyPool } from "../../src/resilience/key_pool.ts";
import type { ResilienceSnapshot } from "../../src/resilience/registry.ts";
import { FakeClock } from "../resilience/fake_clock.ts";
import { promtool } from "../helpers/promtool.ts";

const K1 = "sk-first-0000000000001111";
const K2 = "sk-second-000000000002222";

function take(pool: KeyPool, model: string): KeyLease {
  const pick = pool.pick(model);
  if (!pick.ok) throw new Error(`no key: ${pick.reason}`);
  return pick.key;
}

Deno.test("/metrics: ccp_target_keys counts the keys each target can use now; promtool accepts it", async () => {
  const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
  // Both keys hit a 429 on `busy`: that target has no key left, while `idle` has both.
  pool.rateLimited(take(pool, "busy"), 60_000, "busy");
  pool.rateLimited(take(pool, "busy"), 60_000, "busy");
  // A model a client named explicitly, cooling on one key.
  pool.rateLimited(take(pool, "named-by-client"), 60_000, "named-by-client");
  const snapshot: ResilienceSnapshot = {
    providers: { p: { keys: pool.snapshot(), limiter: { active: 0, queued: 0, inWindow: 0 } } },
    targets: {},
    learned_params: {},
  };
  const config = {
    routes: { default: [{ provider: "p", model: "busy" }, { provider: "q", model: "m" }] },
    aliases: { fast: [{ provider: "p", model: "idle" }, { provider: "p", model: "busy" }] },
    providers: { p: { apiKeys: [K1, K2] }, q: { apiKeys: ["a", "b", "c"] } },
  } as unknown as Parameters<typeof configuredTargets>[0];
  const text = new Metrics().render({
    resilience: () => snapshot,
    version: "t",
    startedAt: new Date(),
    targets: () => configuredTargets(config),
  });
  const gauge = (provider: string, model: string, state: string) => {
    const line = text.split("\n").find((l) =>
      l.startsWith(`ccp_target_keys{provider="${provider}",model="${model}",state="${state}"} `)
    );
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  };
  assert.deepEqual(
    ["ready", "cooling", "blocked"].map((s) => gauge("p", "busy", s)),
    [0, 2, 0],
  );
  assert.deepEqual(["ready", "cooling", "blocked"].map((s) => gauge("p", "idle", s)), [2, 0, 0]);
  assert.deepEqual(
    ["ready", "cooling", "blocked"].map((s) => gauge("p", "named-by-client", s)),
    [1, 1, 0],
  );
  // A provider no request reached yet: its configured keys are all ready.
  assert.equal(gauge("q", "m", "ready"), 3);
  // The provider-wide family keeps the key's own state: both keys serve other models.
  assert.match(text, /^ccp_keys\{provider="p",state="ready"\} 2$/m);
  assert.equal(
    text.match(/^ccp_target_keys\{provider="p",model="busy",state="ready"\}/gm)?.length,
    1,
  );
  assert.equal(await promtool(text), "");
});

Deno.test("/metrics: ccp_target_keys stays bounded however many models keys cool down for", () => {
  const pool = new KeyPool([K1], { clock: new FakeClock() });
  for (let i = 0; i < 250; i++) {
    const model = `random-${i}`;
    pool.rateLimited(take(pool, model), 60_000, model);
  }
  const snapshot: ResilienceSnapshot = {
    providers: { p: { keys: pool.snapshot(), limiter: { active: 0, queued: 0, inWindow: 0 } } },
    targets: {},
    learned_params: {},
  };
  const text = new Metrics().render({
    resilience: () => snapshot,
    version: "t",
    startedAt: new Date(),
  });
  const series = text.split("\n").filter((l) => l.startsWith("ccp_target_keys{")).length;
  assert.ok(series <= 3 * 200, `${series} series`);
  assert.ok(!text.includes('model="other"'), "no made-up target");
});
