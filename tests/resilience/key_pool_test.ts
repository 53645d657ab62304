import assert from "node:assert/strict";
import { type KeyLease, KeyPool } from "../../src/resilience/key_pool.ts";
import { MAX_MODELS_PER_KEY } from "../../src/resilience/key_slot.ts";
import { FakeClock } from "./fake_clock.ts";

const K1 = "sk-first-0000000000001111";
const K2 = "sk-second-000000000002222";
const K3 = "sk-third-0000000000003333";

function take(pool: KeyPool): KeyLease {
  const pick = pool.pick();
  if (!pick.ok) throw new Error(`no key: ${pick.reason}`);
  return pick.key;
}

Deno.test("KeyPool rotation", async (t) => {
  await t.step("stays on one key while it works (usage limit 0)", () => {
    const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
    for (let i = 0; i < 5; i++) {
      const key = take(pool);
      assert.equal(key.value, K1);
      pool.succeeded(key);
    }
  });
  await t.step("key_usage_limit rotates after N successes, round robin", () => {
    const pool = new KeyPool([K1, K2, K3], { usageLimit: 2, clock: new FakeClock() });
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const key = take(pool);
      seen.push(key.value.slice(-4));
      pool.succeeded(key);
    }
    assert.deepEqual(seen, ["1111", "1111", "2222", "2222", "3333", "3333", "1111"]);
  });
  await t.step("a 401 sets the key aside and the next one is used", () => {
    const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
    pool.rejected(take(pool), 401, "upstream answered 401: invalid key");
    assert.equal(take(pool).value, K2);
    const [first] = pool.snapshot();
    assert.equal(first?.state, "blocked");
    assert.equal(first?.status, 401);
    assert.equal(first?.reason, "upstream answered 401: invalid key");
  });
  await t.step("a 429 cools the key and the next one is used", () => {
    const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
    pool.rateLimited(take(pool), 10_000);
    assert.equal(take(pool).value, K2);
  });
  await t.step("labels show the position and last 4 characters only", () => {
    const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
    assert.equal(take(pool).label, "key 1 (…1111)");
    const text = JSON.stringify(pool.snapshot());
    assert.ok(!text.includes(K1) && !text.includes("first"), text);
  });
  await t.step("a keyless provider is a pool of one empty key", () => {
    const pool = new KeyPool([], { clock: new FakeClock() });
    assert.equal(pool.size, 1);
    const key = take(pool);
    assert.equal(key.value, "");
    assert.equal(key.label, "no key");
  });
});

Deno.test("KeyPool cool-downs", async (t) => {
  await t.step("Retry-After sets the cool-down; expiry restores the key", async () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    pool.rateLimited(take(pool), 5000);
    const none = pool.pick();
    assert.equal(none.ok, false);
    await clock.advance(4999);
    assert.equal(pool.pick().ok, false);
    await clock.advance(1);
    assert.equal(take(pool).value, K1);
  });
  await t.step("without a hint: 1 s doubling per repeat, reset by a success", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    const lease = take(pool);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      pool.rateLimited(lease);
      const pick = pool.pick();
      assert.ok(!pick.ok);
      waits.push(pick.retryAt - clock.now());
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000]);
    pool.succeeded(lease);
    pool.rateLimited(lease);
    const pick = pool.pick();
    assert.ok(!pick.ok);
    assert.equal(pick.retryAt - clock.now(), 1000);
  });
  await t.step("the default growth stops at 30 minutes", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    const lease = take(pool);
    for (let i = 0; i < 40; i++) pool.rateLimited(lease);
    const pick = pool.pick();
    assert.ok(!pick.ok);
    assert.equal(pick.retryAt - clock.now(), 30 * 60_000);
  });
  await t.step("a hint of days is capped so the key is re-probed", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    pool.rateLimited(take(pool), 3 * 86_400_000);
    const pick = pool.pick();
    assert.ok(!pick.ok);
    assert.equal(pick.retryAt - clock.now(), 30 * 60_000);
  });
  await t.step("blocked keys are re-tried after blockMs", async () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock, blockMs: 60_000 });
    pool.rejected(take(pool), 403, "forbidden");
    await clock.advance(59_999);
    assert.equal(pool.pick().ok, false);
    await clock.advance(1);
    assert.equal(pool.pick().ok, true);
    assert.equal(pool.snapshot()[0]?.state, "ready");
  });
});

Deno.test("KeyPool says why no key is usable", async (t) => {
  await t.step("all cooling: the earliest retry time", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1, K2], { clock });
    pool.rateLimited(take(pool), 20_000);
    pool.rateLimited(take(pool), 7000);
    const pick = pool.pick();
    assert.deepEqual(pick, {
      ok: false,
      reason: "cooling",
      cooling: 2,
      blocked: 0,
      retryAt: clock.now() + 7000,
      hinted: true,
      recentStatuses: [],
      keyless: false,
    });
  });
  await t.step("all blocked: counts and recent statuses, newest first, no repeats", async () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1, K2, K3], { clock, blockMs: 1000 });
    pool.rejected(take(pool), 401, "a");
    await clock.advance(10);
    pool.rejected(take(pool), 403, "b");
    await clock.advance(10);
    pool.rejected(take(pool), 401, "c");
    const pick = pool.pick();
    assert.ok(!pick.ok);
    assert.equal(pick.reason, "blocked");
    assert.equal(pick.blocked, 3);
    assert.equal(pick.cooling, 0);
    assert.deepEqual(pick.recentStatuses, [401, 403]);
    assert.equal(pick.retryAt, clock.now() - 20 + 1000);
  });
  await t.step("mixed: cooling wins, since those keys come back", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1, K2], { clock });
    pool.rejected(take(pool), 401, "a");
    pool.rateLimited(take(pool), 3000);
    const pick = pool.pick();
    assert.ok(!pick.ok);
    assert.equal(pick.reason, "cooling");
    assert.equal(pick.retryAt, clock.now() + 3000);
    assert.equal(pick.blocked, 1);
  });
});

Deno.test("KeyPool: a 429 cools a key for the model that answered it", async (t) => {
  await t.step("the key still serves its other models", () => {
    const pool = new KeyPool([K1], { clock: new FakeClock() });
    const key = take(pool);
    pool.rateLimited(key, 30_000, "m1");
    assert.equal(pool.pick("m1").ok, false);
    const other = pool.pick("m2");
    assert.ok(other.ok && other.key.value === K1, "m2 is not cooling");
    const [snap] = pool.snapshot();
    assert.equal(snap?.state, "ready");
    assert.deepEqual(Object.keys(snap?.models ?? {}), ["m1"]);
  });
  await t.step("a whole-key 429 cools every model", () => {
    const pool = new KeyPool([K1], { clock: new FakeClock() });
    pool.rateLimited(take(pool), 30_000);
    assert.equal(pool.pick("m1").ok, false);
    assert.equal(pool.pick("m2").ok, false);
    assert.equal(pool.snapshot()[0]?.state, "cooling");
  });
  await t.step("strikes grow per model and a success for that model resets them", async () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    const key = take(pool);
    pool.rateLimited(key, undefined, "m1");
    await clock.advance(1000);
    pool.rateLimited(key, undefined, "m1");
    const second = pool.soonest("m1");
    assert.equal(second?.until, clock.now() + 2000, "doubled for m1");
    assert.equal(second?.hinted, false);
    pool.rateLimited(key, undefined, "m2");
    assert.equal(pool.soonest("m2")?.until, clock.now() + 1000, "m2 starts afresh");
    await clock.advance(2000);
    pool.succeeded(take(pool), "m1");
    pool.rateLimited(key, undefined, "m1");
    assert.equal(pool.soonest("m1")?.until, clock.now() + 1000, "reset by a success");
  });
  await t.step(
    "hinted: only when every cooling key waits out the upstream's own Retry-After",
    () => {
      const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
      pool.rateLimited(take(pool), 5000, "m");
      pool.rateLimited(take(pool), undefined, "m");
      const none = pool.pick("m");
      assert.ok(!none.ok && none.hinted === false);
    },
  );
});

Deno.test("KeyPool: what is left to try when every key is guarded", async (t) => {
  await t.step("set-aside keys are listed for one re-try each; a success brings one back", () => {
    const pool = new KeyPool([K1, K2], { clock: new FakeClock() });
    pool.rejected(take(pool), 401, "a");
    pool.rejected(take(pool), 403, "b");
    assert.deepEqual(pool.setAside("m").map((k) => k.value), [K1, K2]);
    pool.succeeded(pool.setAside("m")[0]!, "m");
    const pick = pool.pick("m");
    assert.ok(pick.ok && pick.key.value === K1);
    assert.equal(pool.snapshot()[0]?.state, "ready");
  });
  await t.step("a set-aside key whose re-try answers 429 is cooling, no longer refused", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1, K2], { clock });
    pool.rejected(take(pool), 401, "a");
    pool.rejected(take(pool), 401, "b");
    for (const key of pool.setAside("m")) pool.rateLimited(key, 30_000, "m");
    const pick = pool.pick("m");
    assert.ok(!pick.ok);
    assert.equal(pick.reason, "cooling");
    assert.equal(pick.blocked, 0);
    assert.equal(pick.retryAt, clock.now() + 30_000);
    // The key's other models may use it again.
    const other = pool.pick("other");
    assert.ok(other.ok && other.key.value === K1);
  });
  await t.step("soonest: the cooling key whose cool-down ends first", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1, K2], { clock });
    pool.rateLimited(take(pool), 9000, "m");
    pool.rateLimited(take(pool), 3000, "m");
    assert.deepEqual(pool.soonest("m"), {
      key: { index: 1, value: K2, label: "key 2 (…2222)" },
      until: clock.now() + 3000,
      hinted: true,
    });
    assert.equal(pool.soonest("other"), undefined);
  });
});

Deno.test("KeyPool keeps per-model 429 history within a bound", async (t) => {
  await t.step("strikes of many models a client named are capped; whole-key history stays", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    pool.rateLimited(take(pool), 60 * 60_000); // the whole key, for the longest cool-down
    const lease = { index: 0, value: K1, label: "key 1" };
    for (let i = 0; i < MAX_MODELS_PER_KEY * 4; i++) {
      pool.rateLimited(lease, 1, `invented-model-${i}`);
    }
    const held = pool.held;
    assert.ok(held.strikes <= MAX_MODELS_PER_KEY, `strikes ${held.strikes}`);
    assert.ok(held.cooling <= MAX_MODELS_PER_KEY, `cooling ${held.cooling}`);
    assert.equal(pool.snapshot()[0]?.state, "cooling", "the whole-key cool-down is kept");
  });
  await t.step("live cool-downs of many models are capped, ended ones forgotten first", () => {
    const clock = new FakeClock();
    const pool = new KeyPool([K1], { clock });
    const lease = { index: 0, value: K1, label: "key 1" };
    for (let i = 0; i < MAX_MODELS_PER_KEY * 4; i++) {
      pool.rateLimited(lease, 60_000, `invented-model-${i}`);
    }
    assert.ok(pool.held.cooling <= MAX_MODELS_PER_KEY);
    const models = Object.keys(pool.snapshot()[0]?.models ?? {});
    assert.equal(models.length, MAX_MODELS_PER_KEY);
    // The newest are the ones kept: the model just limited is still cooling.
    assert.ok(!pool.pick(`invented-model-${MAX_MODELS_PER_KEY * 4 - 1}`).ok);
    pool.adoptCooling(0, "from-another-instance", clock.now() + 60_000, true);
    assert.ok(pool.held.cooling <= MAX_MODELS_PER_KEY);
    assert.ok(!pool.pick("from-another-instance").ok);
  });
});

Deno.test("KeyPool: a success on another endpoint ends a set-aside, not a cool-down", () => {
  // A count_tokens answer: the key is accepted, but Messages' 429 limits are not the count's.
  const clock = new FakeClock();
  const pool = new KeyPool([K1], { clock });
  const key = take(pool);
  pool.rateLimited(key, undefined, "m");
  pool.rateLimited(key, undefined, "m");
  const cooling = pool.snapshot()[0]!.models!.m!;
  assert.equal(pool.succeeded(key, "m", false), false, "no guard ended");
  assert.deepEqual(pool.snapshot()[0]!.models!.m, cooling);
  // The growth goes on: a third 429 cools for 4 s, as after two.
  pool.rateLimited(key, undefined, "m");
  assert.equal(pool.snapshot()[0]!.models!.m!.until, clock.now() + 4000);
  pool.rejected(key, 401, "refused");
  assert.equal(pool.succeeded(key, "m", false), true, "the set-aside ended");
  assert.equal(pool.snapshot()[0]!.state, "ready");
  assert.equal(pool.snapshot()[0]!.uses, 2);
});

Deno.test("KeyPool: a 403 sets a key aside for its model, a 401 for every model", async (t) => {
  await t.step("403 for m1: the key still serves m2, and m1 is refused with its words", () => {
    const pool = new KeyPool([K1], { clock: new FakeClock() });
    pool.rejected(take(pool), 403, "no access to m1", "m1");
    assert.ok(pool.pick("m2").ok);
    const m1 = pool.pick("m1");
    assert.ok(!m1.ok);
    assert.deepEqual([m1.reason, m1.recentStatuses, m1.lastRefusal], [
      "blocked",
      [403],
      "no access to m1",
    ]);
    assert.deepEqual(pool.setAside("m1").map((k) => k.value), [K1]);
    assert.deepEqual(pool.setAside("m2"), []);
    assert.deepEqual(Object.keys(pool.snapshot()[0]!.setAside ?? {}), ["m1"]);
    assert.equal(pool.snapshot()[0]!.state, "ready");
  });
  await t.step("an answer for m1 ends that set-aside", () => {
    const pool = new KeyPool([K1], { clock: new FakeClock() });
    const key = take(pool);
    pool.rejected(key, 403, "no access", "m1");
    assert.ok(pool.succeeded(key, "m1"));
    assert.ok(pool.pick("m1").ok);
  });
  await t.step("401 on m1: no model is served", () => {
    const pool = new KeyPool([K1], { clock: new FakeClock() });
    pool.rejected(take(pool), 401, "invalid key", "m1");
    assert.ok(!pool.pick("m2").ok);
    assert.equal(pool.snapshot()[0]!.state, "blocked");
  });
  await t.step("within one millisecond, the refusal recorded last is the one reported", () => {
    // The clock stands still: both set-asides end at the same moment.
    const after401 = new KeyPool([K1], { clock: new FakeClock() });
    const key = take(after401);
    after401.rejected(key, 401, "invalid key", "m0");
    after401.rejected(key, 403, "no access to m1", "m1");
    const m1 = after401.pick("m1");
    assert.ok(!m1.ok);
    assert.deepEqual([m1.recentStatuses, m1.lastRefusal], [[403], "no access to m1"]);
    assert.equal(after401.setAsideStatus(key, "m1"), 403);
    const after403 = new KeyPool([K1], { clock: new FakeClock() });
    after403.rejected(key, 403, "no access to m1", "m1");
    after403.rejected(key, 401, "invalid key", "m0");
    const again = after403.pick("m1");
    assert.ok(!again.ok);
    assert.deepEqual([again.recentStatuses, again.lastRefusal], [[401], "invalid key"]);
    // What /health and shared state are given of a set-aside: its end, status and words only.
    const until = new FakeClock().now() + 30 * 60_000;
    const block = { until, status: 403, reason: "no access to m1" };
    assert.deepEqual(after401.snapshot()[0]!.setAside, { m1: block });
    assert.deepEqual(after401.rests(), [
      { index: 0, model: "m1", ...block },
      { index: 0, model: "*", until, status: 401, reason: "invalid key" },
    ]);
  });
});

Deno.test("KeyPool: a cool-down or set-aside adopted from shared state lasts no longer than one of its own", async () => {
  // Entries written while Redis's clock was a year off (then set right) end a year late: an
  // instance never keeps a key out longer than it would itself have.
  const year = 365 * 86_400_000;
  const clock = new FakeClock();
  const [hinted, unhinted, whole, model] = [0, 1, 2, 3].map(() =>
    new KeyPool([K1], { clock, blockMs: 60_000 })
  );
  hinted!.adoptCooling(0, "m", clock.now() + year, true);
  unhinted!.adoptCooling(0, "m", clock.now() + year, false);
  whole!.adoptSetAside(0, clock.now() + year, 401, "invalid key");
  model!.adoptSetAside(0, clock.now() + year, 403, "no access", "m");
  for (const pool of [hinted, unhinted, whole, model]) assert.ok(!pool!.pick("m").ok);
  await clock.advance(60_001);
  assert.ok(whole!.pick("m").ok, "a set-aside: blockMs at most");
  assert.ok(model!.pick("m").ok, "a model's set-aside: blockMs at most");
  await clock.advance(30 * 60_000);
  assert.ok(unhinted!.pick("m").ok, "unhinted: 30 minutes at most");
  assert.ok(!hinted!.pick("m").ok);
  await clock.advance(31 * 86_400_000);
  assert.ok(hinted!.pick("m").ok, "hinted: a stated reset's 31 days at most");
});
