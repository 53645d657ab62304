/**
 * A key resting until a moment its upstream stated (OpenRouter's free models' day, Gemini's day
 * quota, a plan's window) rests that long on every instance: the guard hash in Redis outlives
 * the rest, though a later, shorter cool-down is written after it.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { noteKeyRefusal } from "../../src/resilience/key_refusal.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisStatus, redisTest, until } from "./engines.ts";

const KEYS = ["sk-or-first-0123456789abcdef", "sk-or-second-0123456789abcdef"];
const MODEL = "qwen/qwen3-coder:free";
const HOUR = 3_600_000;

function target(): SharedSyncInput {
  return {
    provider: "or",
    model: MODEL,
    apiKeys: KEYS,
    keys: new KeyPool(KEYS),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "or" }),
  };
}

/** Notes a 429 on the key `input`'s pool picks: resting `ms`, stated or a plain hint. */
function refuse(guards: RedisGuards, input: SharedSyncInput, ms: number, stated: boolean) {
  const pick = input.keys.pick(MODEL);
  assert.ok(pick.ok);
  noteKeyRefusal(input.keys, guards, { provider: "or", model: MODEL }, pick.key, {
    verdict: {
      action: "rotate_key",
      cause: "rate_limit",
      retryAfterMs: ms,
      scope: "model",
      stated,
    },
    status: 429,
    detail: stated ? "free-models-per-day" : "free-models-per-min",
  });
  return pick.key.index;
}

redisTest("shared.redis: a key's stated rest of hours is kept in Redis as long", async (redis) => {
  const a = new RedisGuards(redis.url, "rest:", silentLogger);
  const b = new RedisGuards(redis.url, "rest:", silentLogger);
  const ttl = async () => Number((await redisStatus(redis.port, "PTTL rest:guard:or")).slice(1));
  try {
    const onA = target();
    await a.sync(onA);
    const resting = refuse(a, onA, 10 * HOUR, true);
    await until(async () => (await ttl()) > 0, 2000, "A's rest written");
    assert.ok((await ttl()) > 9.9 * HOUR, `the hash expires in ${await ttl()} ms`);

    // B learns of it, then meets a minute's limit on the other key: a write that keeps the hash.
    const onB = target();
    await b.sync(onB);
    const learned = onB.keys.snapshot()[resting]!.models?.[MODEL]?.until ?? 0;
    assert.ok(learned > Date.now() + 9.9 * HOUR, `B has the key back at ${learned}`);
    const other = refuse(b, onB, 1000, false);
    assert.notEqual(other, resting);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((await ttl()) > 9.9 * HOUR, `the hash expires in ${await ttl()} ms`);
  } finally {
    await a.close();
    await b.close();
  }
});
