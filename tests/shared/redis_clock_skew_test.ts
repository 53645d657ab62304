/**
 * Instances whose clocks differ by seconds, sharing one Redis: what one learns lasts as long on the
 * others as it was meant to, and a session's newer choice wins whichever clock made the older one.
 */

import assert from "node:assert/strict";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { systemClock } from "../../src/resilience/clock.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { RedisClock, shiftedEntry } from "../../src/shared/redis_clock.ts";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { guardsOf } from "./guard_inputs.ts";
import { answering, redisTest } from "./engines.ts";

const KEYS = ["k0", "k1", "k2"];
const SKEW_MS = 10_000;
const TTL_MS = 3_600_000;

function instance(url: string, skewMs: number): RedisGuards {
  return new RedisGuards(url, "skew:", silentLogger, "", new RedisClock(() => Date.now() + skewMs));
}

redisTest(
  "shared.redis: cool-downs, circuits and session choices hold across clocks seconds apart",
  async (redis) => {
    const behind = instance(redis.url, -SKEW_MS);
    const ahead = instance(redis.url, SKEW_MS);
    const exact = instance(redis.url, 0);
    try {
      for (const guards of [behind, ahead, exact]) {
        await answering(guards);
        await guards.sync({ provider: "p", model: "m", ...guardsOf(KEYS) });
      }
      // A 429 on the instance behind cools k0 for 5 s, one on the instance ahead k1 for 5 s,
      // each on its own clock.
      behind.cooling("p", 0, "m", Date.now() - SKEW_MS + 5000, true);
      ahead.cooling("p", 1, "m", Date.now() + SKEW_MS + 5000, true);
      behind.circuit("p", "m", Date.now() - SKEW_MS + 5000, "upstream 500");
      await new Promise((r) => setTimeout(r, 100));
      const seen = guardsOf(KEYS);
      await exact.sync({ provider: "p", model: "m", ...seen });
      const [k0, k1] = seen.keys.snapshot();
      const now = Date.now();
      const left = (until: number | undefined) => (until ?? 0) - now;
      // About 5 s left on both (not gone, not 15 s), whatever the writer's clock said.
      for (const [name, key] of [["k0", k0], ["k1", k1]] as const) {
        const ms = left(key!.models?.m?.until);
        assert.ok(ms > 3000 && ms <= 5100, `${name} cools for ${ms} ms`);
      }
      assert.equal(seen.breaker.state, "open", "the circuit opened behind is open here");
      // The instance behind reads k1's cool-down, learned ahead, as about 5 s on its own clock.
      const behindClock = { ...systemClock, now: () => Date.now() - SKEW_MS };
      const there = {
        ...guardsOf(KEYS),
        keys: new KeyPool(KEYS, { clock: behindClock }),
        breaker: new CircuitBreaker({ clock: behindClock }),
      };
      await behind.sync({ provider: "p", model: "m", ...there });
      const k1There = left(there.keys.snapshot()[1]!.models?.m?.until) + SKEW_MS;
      assert.ok(k1There > 3000 && k1There <= 5100, `k1 cools for ${k1There} ms behind`);
      assert.equal(there.breaker.state, "open");

      // A session chose k0 on the instance ahead; a moment later it moved to k1 on this one.
      const keysOf = () => KEYS;
      ahead.affinity.keepKey("s", TTL_MS, "p", KEYS, { value: 0, at: Date.now() + SKEW_MS });
      const landed = async (guards: RedisGuards, value: number) => {
        let held: number | undefined;
        for (const start = Date.now(); Date.now() - start < 5000;) {
          held = (await guards.affinity.load("s", TTL_MS, keysOf))?.keys.get("p")?.value;
          if (held === value) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        return held;
      };
      assert.equal(await landed(exact, 0), 0);
      exact.affinity.keepKey("s", TTL_MS, "p", KEYS, { value: 1, at: Date.now() });
      assert.equal(await landed(exact, 1), 1, "the move was taken for older than the choice");
      // The instance ahead reads the move as newer than the choice it made itself.
      const read = await ahead.affinity.load("s", TTL_MS, keysOf);
      const chosen = read?.keys.get("p");
      assert.equal(chosen?.value, 1);
      assert.ok(chosen!.at > Date.now() + SKEW_MS - 5000, "on the reader's clock");
    } finally {
      await Promise.all([behind.close(), ahead.close(), exact.close()]);
    }
  },
);

Deno.test("a clock within a round trip of Redis's keeps its own times; one further off is shifted", () => {
  const clock = new RedisClock(() => 0);
  clock.learn(1000, 1003, 1004); // Redis read its clock within the 4 ms round trip
  assert.equal(clock.offset, 0);
  assert.equal(clock.toRedis(5000), 5000);
  clock.learn(1000, 11_002, 1004); // 10 s ahead of this one
  assert.equal(clock.offset, 10_000);
  assert.equal(clock.toRedis(5000), 15_000);
  assert.equal(clock.fromRedis(15_000), 5000);
  clock.learn(1000, Number.NaN, 1004); // an answer without a time teaches nothing
  assert.equal(clock.offset, 10_000);
  assert.equal(shiftedEntry("1000|1", 500), "1500|1");
  assert.equal(shiftedEntry("1000", -500), "500");
  assert.equal(shiftedEntry("not an entry|x", 500), "not an entry|x");
});

Deno.test("RedisClock: a reply that is no moment at all (before 1970, past the year 275760) is not learned", () => {
  // Shifted by such an offset, an entry's end is written as 1e+300, which Redis's script reads
  // as 1 (ended at once), and a time of it cannot be shown as a date.
  const clock = new RedisClock(() => 1_000);
  for (const redisMs of [1e300, -5e15, 8.65e15]) {
    clock.learn(1_000, redisMs, 1_000);
    assert.equal(clock.offset, 0, String(redisMs));
  }
  clock.learn(1_000, 31_536_001_000, 1_000);
  assert.equal(clock.offset, 31_536_000_000, "a clock a year off is still learned");
});
