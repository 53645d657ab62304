/**
 * guards.kv after a reload that changed a provider's key list: the rests of the keys the reload
 * kept are written under their new places at once, so a restart still skips them (and knows what
 * the upstream said of them); a removed key's rests leave the file with it.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { FREE_MODELS, type KeyLease } from "../../src/resilience/key_pool.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { KvGuards } from "../../src/shared/kv_guards.ts";
import { provider } from "../resilience/helpers.ts";

const quiet = createLogger({ level: "error", write: () => {}, colour: false });
const A = "sk-or-v1-test-kv-reload-aaaa";
const B = "sk-or-v1-test-kv-reload-bbbb";
const C = "sk-or-v1-test-kv-reload-cccc";
const FREE = "qwen/qwen3-coder:free";

Deno.test("guards.kv keeps a kept key's rest across a reload of the key list, and a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_reload_" });
  const path = `${dir}/guards.kv`;
  const sync = (kv: KvGuards, registry: ResilienceRegistry, keys: string[]) => {
    const config = provider("or", { apiKeys: keys });
    const state = registry.provider(config);
    return kv.sync({
      provider: "or",
      model: FREE,
      apiKeys: config.apiKeys,
      ...state,
      breaker: new CircuitBreaker(),
    }).then(() => state);
  };
  try {
    const kv = await KvGuards.open(path, quiet);
    const registry = new ResilienceRegistry();
    const before = await sync(kv, registry, [A, B]);
    const until = Date.now() + 10 * 3_600_000;
    for (const index of [0, 1]) {
      const key: KeyLease = { index, value: "", label: "" };
      before.keys.rateLimited(key, until - Date.now(), FREE_MODELS, "free-models-per-day", true);
      kv.cooling("or", index, FREE_MODELS, until, true);
    }
    // The reload: A removed, B kept (now first), C added.
    const after = await sync(kv, registry, [B, C]);
    assert.equal(after.keys.soonest(FREE)?.key.index, 0, "B rests on after the reload");
    assert.equal(kv.held, 1, "A's rest left with it");
    await kv.close();

    const restarted = await KvGuards.open(path, quiet);
    const again = await sync(restarted, new ResilienceRegistry(), [B, C]);
    const pick = again.keys.pick(FREE);
    assert.ok(pick.ok && pick.key.index === 1, "B is skipped after the restart, C serves");
    assert.ok(Math.abs((again.keys.soonest(FREE)?.until ?? 0) - until) < 1000);
    // What OpenRouter said comes back with it: a client refused for B is told which limit.
    assert.deepEqual(
      again.keys.rests().map((rest) => "hinted" in rest && [rest.index, rest.model, rest.reason]),
      [[0, FREE_MODELS, "free-models-per-day"]],
    );
    await restarted.close();
    const text = new TextDecoder().decode(await Deno.readFile(path));
    for (const key of [A, B, C]) assert.ok(!text.includes(key.slice(0, -4)), "a key in the file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
