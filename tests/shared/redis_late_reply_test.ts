/**
 * Concurrency slots that nobody holds any more are given back, not kept for the lease's 15 min:
 * one taken by a sync Redis answered after ccp stopped waiting (500 ms), and one whose release
 * met a dropped connection.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisStatus, redisTest } from "./engines.ts";

redisTest("a slot taken by a sync that answered too late is given back", async (redis) => {
  const guards = new RedisGuards(redis.url, "late:", silentLogger);
  try {
    assert.equal(await guards.ping(), true);
    // Every client waits ~0.9 s: the sync gives up at 0.5 s, then Redis runs its script.
    assert.equal(await redisStatus(redis.port, "CLIENT PAUSE 900 ALL"), "+OK");
    const input = {
      provider: "p",
      model: "m",
      apiKeys: [],
      maxConcurrency: 2,
    } as unknown as SharedSyncInput;
    await assert.rejects(guards.sync(input), /no answer within/);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await redisStatus(redis.port, "ZCARD late:slots:p"), ":0");
  } finally {
    guards.close();
  }
});

redisTest(
  "a slot whose release met a dropped connection is given back once Redis answers again",
  async (redis) => {
    const guards = new RedisGuards(redis.url, "drop:", silentLogger);
    try {
      assert.equal(await guards.ping(), true);
      const input = {
        provider: "p",
        model: "m",
        apiKeys: [],
        maxConcurrency: 1,
      } as unknown as SharedSyncInput;
      const { slot } = await guards.sync(input);
      assert.ok(slot);
      // The connection drops (a network blip) just as the answer ends and the slot is given back.
      assert.match(await redisStatus(redis.port, "CLIENT KILL TYPE normal"), /^:\d+/);
      guards.release("p", slot);
      // The monitor's next pings find Redis again.
      let up = false;
      for (let i = 0; i < 30 && !up; i++) {
        await new Promise((r) => setTimeout(r, 100));
        up = await guards.ping();
      }
      assert.equal(up, true);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        await redisStatus(redis.port, "ZCARD drop:slots:p"),
        ":0",
        "the slot is still held",
      );
    } finally {
      guards.close();
    }
  },
);
