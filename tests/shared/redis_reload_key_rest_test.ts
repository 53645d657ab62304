/**
 * shared.redis and a reload that changed a provider's key list: every instance reloads, and each
 * takes back from Redis the rests of the keys it still lists, found by the key's id wherever it now
 * stands, an OpenRouter free-models day included (it rests every `:free` model of the key).
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { noteKeyRefusal } from "../../src/resilience/key_refusal.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisTest, until } from "./engines.ts";

const A = "sk-or-v1-test-redis-reload-aaaa";
const B = "sk-or-v1-test-redis-reload-bbbb";
const C = "sk-or-v1-test-redis-reload-cccc";

function target(keys: string[], model: string): SharedSyncInput {
  return {
    provider: "or",
    model,
    apiKeys: keys,
    keys: new KeyPool(keys),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "or" }),
  };
}

redisTest(
  "shared.redis: a reloaded key list takes back the rests of the keys it kept",
  async (redis) => {
    const one = new RedisGuards(redis.url, "reload:", silentLogger);
    const two = new RedisGuards(redis.url, "reload:", silentLogger);
    try {
      const before = target([A, B], "qwen/qwen3-coder:free");
      await one.sync(before);
      const b = before.keys.usable(1, before.model)!;
      noteKeyRefusal(before.keys, one, { provider: "or", model: before.model }, b, {
        verdict: {
          action: "rotate_key",
          cause: "rate_limit",
          retryAfterMs: 10 * 3_600_000,
          scope: "free_models",
          stated: true,
        },
        status: 429,
        detail: "Rate limit exceeded: free-models-per-day.",
      });
      // The other instance, reloaded: A gone, B first, C new; asked for another free model.
      const after = target([B, C], "z-ai/glm-4.5-air:free");
      const bRests = async () => {
        await two.sync(after);
        return after.keys.usable(0, after.model) === undefined;
      };
      await until(bRests, 2000, "B's rest for every free model taken back");
      const pick = after.keys.pick(after.model);
      assert.ok(pick.ok && pick.key.index === 1, "C serves");
      assert.equal(after.keys.usable(0, "z-ai/glm-4.5-air")?.index, 0, "B serves a paid model");
      // What OpenRouter said comes with it: a client refused for B is told which limit.
      const said = after.keys.rests().map((rest) => "hinted" in rest && rest.reason);
      assert.deepEqual(said, ["Rate limit exceeded: free-models-per-day."]);
    } finally {
      await one.close();
      await two.close();
    }
  },
);

redisTest(
  "shared.redis: a restart with a changed key list keeps the kept keys' rests and the window",
  async (redis) => {
    const rate = { requests: 2, windowMs: 60_000 };
    const first = new RedisGuards(redis.url, "restart:", silentLogger);
    const before = { ...target([A, B], "m"), rate };
    try {
      await first.sync(before);
      await first.sync(before);
      const until = Date.now() + 600_000;
      first.setAside("or", 0, until, 401, "invalid x-api-key");
      first.cooling("or", 1, "m", until, true);
    } finally {
      await first.close();
    }
    // The restart (the rests just learned were written before the close ended): A removed, B
    // kept (now first), C added where A stood.
    const second = new RedisGuards(redis.url, "restart:", silentLogger);
    try {
      const after = { ...target([B, C], "m"), rate };
      const result = await second.sync(after);
      assert.ok(result.waitMs > 0, "the window's two places are still taken");
      assert.equal(after.keys.usable(0, "m"), undefined, "B's rest came back at its new place");
      assert.equal(after.keys.usable(1, "m")?.index, 1, "A's set-aside fell on C");
    } finally {
      await second.close();
    }
  },
);
