/**
 * Concurrency slots that nobody holds any more are given back, not kept for the lease's 15 min:
 * one taken by a sync Redis answered after ccp stopped waiting (500 ms), and one whose release
 * met a dropped connection.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { answering, evalCalls, redisStatus, redisTest, until } from "./engines.ts";

redisTest("a slot taken by a sync that answered too late is given back", async (redis) => {
  const guards = new RedisGuards(redis.url, "late:", silentLogger);
  try {
    await answering(guards);
    const ran = await evalCalls(redis.port);
    // Scripts wait until the pause is lifted, after the sync gave up at 0.5 s however slowly a
    // loaded machine gets there; then Redis runs its script.
    assert.equal(await redisStatus(redis.port, "CLIENT PAUSE 20000 WRITE"), "+OK");
    const input = {
      provider: "p",
      model: "m",
      apiKeys: [],
      maxConcurrency: 2,
    } as unknown as SharedSyncInput;
    await assert.rejects(guards.sync(input), /no answer within/);
    assert.equal(await evalCalls(redis.port), ran, "the sync's script waits for the pause");
    assert.equal(await redisStatus(redis.port, "CLIENT UNPAUSE"), "+OK");
    await until(
      async () =>
        await evalCalls(redis.port) > ran &&
        await redisStatus(redis.port, "ZCARD late:slots:p") === ":0",
      20_000,
      "the late script's slot given back",
    );
  } finally {
    guards.close();
  }
});

redisTest(
  "a slot whose release met a dropped connection is given back once Redis answers again",
  async (redis) => {
    const guards = new RedisGuards(redis.url, "drop:", silentLogger);
    try {
      await answering(guards);
      const input = {
        provider: "p",
        model: "m",
        apiKeys: [],
        maxConcurrency: 1,
      } as unknown as SharedSyncInput;
      const { slot } = await guards.sync(input);
      assert.ok(slot);
      assert.equal(await redisStatus(redis.port, "ZCARD drop:slots:p"), ":1");
      // The connection drops (a network blip) just as the answer ends and the slot is given back.
      assert.match(await redisStatus(redis.port, "CLIENT KILL TYPE normal"), /^:\d+/);
      guards.release("p", slot);
      // The monitor's next pings find Redis again, and the release is sent then.
      await answering(guards);
      await until(
        async () => await redisStatus(redis.port, "ZCARD drop:slots:p") === ":0",
        20_000,
        "the slot given back",
      );
    } finally {
      guards.close();
    }
  },
);
