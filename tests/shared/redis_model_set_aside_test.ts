/**
 * A 403 sets a key aside for the model it refused, on every instance: other instances skip the
 * key for that model only, for as long as the instance that met it does, and take it back when
 * the key answers for that model again.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { noteKeyRefusal } from "../../src/resilience/key_refusal.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisReply, redisTest } from "./engines.ts";

const FIRST = "sk-first-key-0123456789abcdef";
const SECOND = "sk-second-key-0123456789abcdef";

function target(model: string, keys = new KeyPool([FIRST, SECOND])): SharedSyncInput {
  return {
    provider: "p",
    model,
    apiKeys: [FIRST, SECOND],
    keys,
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "p" }),
  };
}

/** The first key's set-aside for `model` as `input`'s pool holds it. */
function asideFor(input: SharedSyncInput, model: string) {
  const lease = input.keys.snapshot()[0]!;
  return {
    whole: lease.state === "blocked",
    model: input.keys.setAsideStatus({ index: 0, value: FIRST, label: "" }, model),
  };
}

const pause = () => new Promise((r) => setTimeout(r, 100));

redisTest(
  "shared.redis: a 403 sets the key aside for that model on every instance, not for others",
  async (redis) => {
    const a = new RedisGuards(redis.url, "m403:", silentLogger);
    const b = new RedisGuards(redis.url, "m403:", silentLogger);
    try {
      const onA = target("m1");
      await a.sync(onA);
      const pick = onA.keys.pick("m1");
      assert.ok(pick.ok);
      noteKeyRefusal(onA.keys, a, { provider: "p", model: "m1" }, pick.key, {
        verdict: { action: "rotate_key", cause: "auth" },
        status: 403,
        detail: `no access to m1 with ${FIRST}`,
      });
      await pause();

      const m1OnB = target("m1");
      await b.sync(m1OnB);
      assert.deepEqual(asideFor(m1OnB, "m1"), { whole: false, model: 403 });
      const picked = m1OnB.keys.pick("m1");
      assert.ok(picked.ok && picked.key.index === 1, "B skips the first key for m1");
      // Its other models keep the key.
      const m2OnB = target("m2");
      await b.sync(m2OnB);
      assert.deepEqual(asideFor(m2OnB, "m2"), { whole: false, model: undefined });
      assert.equal(asideFor(m2OnB, "m1").model, 403);

      // Same expiry: B's set-aside ends when A's does.
      const untilOnA = onA.keys.snapshot()[0]!.setAside?.m1?.until;
      const untilOnB = m1OnB.keys.snapshot()[0]!.setAside?.m1?.until;
      assert.ok(untilOnA !== undefined && untilOnA === untilOnB, `${untilOnA} vs ${untilOnB}`);

      // Redis names neither key nor the key quoted in the reason.
      const stored = await redisReply(redis.port, "HGETALL m403:guard:p");
      assert.match(stored, /\|[0-9a-f]{12}\|m1\r\n/, stored);
      assert.ok(!stored.includes(FIRST.slice(-8)), stored);

      // The key answers for m1 on B: a fresh instance no longer sets it aside.
      b.cleared("p", 0, "m1");
      await pause();
      const fresh = target("m1");
      await a.sync(fresh);
      assert.deepEqual(asideFor(fresh, "m1"), { whole: false, model: undefined });
    } finally {
      a.close();
      b.close();
    }
  },
);
