/**
 * Keys as Redis knows them: by a short hash of the key, never by its place in a config's list
 * (two instances may list the same keys in another order, or one may have a key more), and never
 * the key itself.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisReply, redisTest } from "./engines.ts";

const FIRST = "sk-first-key-0123456789abcdef";
const SECOND = "sk-second-key-0123456789abcdef";
const THIRD = "sk-third-key-0123456789abcdef";

function target(apiKeys: string[]): SharedSyncInput {
  return {
    provider: "p",
    model: "m",
    apiKeys,
    keys: new KeyPool(apiKeys),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "p" }),
  };
}

/** Which keys of `input` are set aside or cooling for model m, by value. */
function held(input: SharedSyncInput): { aside: string[]; cooling: string[] } {
  const snap = input.keys.snapshot();
  const value = (i: number) => input.apiKeys[i]!;
  return {
    aside: snap.flatMap((s, i) => s.state === "blocked" ? [value(i)] : []),
    cooling: snap.flatMap((s, i) => s.models?.m !== undefined ? [value(i)] : []),
  };
}

redisTest(
  "shared.redis: a key's guards follow the key, whatever its place in each config",
  async (redis) => {
    const a = new RedisGuards(redis.url, "ids:", silentLogger);
    const b = new RedisGuards(redis.url, "ids:", silentLogger);
    try {
      const onA = target([FIRST, SECOND]);
      // The same keys in another order, and one more.
      const onB = target([THIRD, SECOND, FIRST]);
      await a.sync(onA);
      await b.sync(onB);
      // A learns: its first key (FIRST) is refused, its second (SECOND) cools down for m.
      a.setAside("p", 0, Date.now() + 60_000, 401, `invalid x-api-key ${FIRST}`);
      a.cooling("p", 1, "m", Date.now() + 60_000, true);
      await new Promise((r) => setTimeout(r, 100));
      await b.sync(onB);
      assert.deepEqual(held(onB), { aside: [FIRST], cooling: [SECOND] });

      // What Redis holds names no key, in any form a log or an answer could show.
      const stored = await redisReply(redis.port, "HGETALL ids:guard:p");
      assert.match(stored, /a\|[0-9a-f]{12}\r\n/, stored);
      for (const key of [FIRST, SECOND, THIRD]) {
        assert.ok(!stored.includes(key.slice(-8)), `${key} is not in Redis: ${stored}`);
      }

      // A key answers again on B: its set-aside ends on A too.
      b.cleared("p", 2);
      await new Promise((r) => setTimeout(r, 100));
      const fresh = target([FIRST, SECOND]);
      await a.sync(fresh);
      assert.deepEqual(held(fresh), { aside: [], cooling: [SECOND] });
    } finally {
      a.close();
      b.close();
    }
  },
);
