/**
 * guards.kv and a restart with a changed key list (`[k1, k2]` -> `[k2, k3]`): what was learned
 * of the keys kept comes back at their new places, with the provider's rate window; nothing
 * learned of a removed key is applied to the key that now stands where it stood.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { KvGuards } from "../../src/shared/kv_guards.ts";
import { guardsOf } from "./guard_inputs.ts";

const quiet = createLogger({ level: "error", write: () => {}, colour: false });
const K1 = "sk-test-restart-list-k1-0001";
const K2 = "sk-test-restart-list-k2-0002";
const K3 = "sk-test-restart-list-k3-0003";

async function stored(path: string): Promise<string> {
  return new TextDecoder().decode(await Deno.readFile(path));
}

Deno.test("guards.kv: a restart with a changed key list keeps the kept keys' rests and window", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_restart_list_" });
  const path = `${dir}/guards.kv`;
  try {
    const first = await KvGuards.open(path, quiet, "token-restart-list");
    const before = guardsOf([K1, K2]);
    await first.sync({ provider: "p", model: "m", ...before });
    const release = await before.limiter.acquire();
    release();
    const until = Date.now() + 600_000;
    first.setAside("p", 0, until, 401, "invalid x-api-key");
    first.cooling("p", 1, "m", until, true, "free-models-per-day");
    first.setAside("p", 1, until, 403, "no access to m2", "m2");
    first.circuit("p", "m", until, "502 from upstream");
    await first.close();

    const second = await KvGuards.open(path, quiet, "token-restart-list");
    const after = guardsOf([K2, K3]);
    await second.sync({ provider: "p", model: "m", ...after });
    const keys = after.keys.snapshot();
    assert.equal(keys[1]!.state, "ready", "k1's set-aside fell on k3, which took its place");
    assert.equal(keys[0]!.setAside?.m2?.until, until, "k2's 403 for m2 came back, now first");
    assert.deepEqual(
      after.keys.rests().flatMap((rest) =>
        "hinted" in rest ? [[rest.index, rest.model, rest.reason]] : []
      ),
      [[0, "m", "free-models-per-day"]],
      "k2's rest came back at its new place, with what the upstream said",
    );
    const pick = after.keys.pick("m");
    assert.ok(pick.ok && pick.key.index === 1, "k3 serves m");
    assert.equal(after.limiter.snapshot().inWindow, 1, "the window's place is still taken");
    assert.equal(after.breaker.snapshot().state, "open");
    await second.close();

    // Written over at once under the new places: a third start with the same list agrees.
    const third = await KvGuards.open(path, quiet, "token-restart-list");
    const again = guardsOf([K2, K3]);
    await third.sync({ provider: "p", model: "m", ...again });
    assert.equal(again.keys.snapshot()[1]!.state, "ready");
    assert.equal(again.keys.soonest("m")?.key.index, 0);
    await third.close();
    const text = await stored(path);
    for (const key of [K1, K2, K3]) {
      assert.ok(!text.includes(key.slice(3, -5)), "a key in the file");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
