/**
 * Budget spend written to Redis: what an instance spends while Redis is away reaches the others
 * once it is back, a write Redis applied after ccp stopped waiting is not counted twice when it
 * is sent again, and what waits for Redis stays bounded.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { MAX_PENDING_COUNTERS } from "../../src/shared/spend_queue.ts";
import { createLogger, type Logger, silentLogger } from "../../src/core/log.ts";
import { answering, redisStatus, redisTest, until } from "./engines.ts";

const DAY = Date.now() + 86_400_000;

redisTest(
  "shared.redis: spend while Redis is away reaches the other instances once it is back",
  async (redis) => {
    const a = new RedisGuards(redis.url, "away:", silentLogger);
    const b = new RedisGuards(redis.url, "away:", silentLogger);
    try {
      await answering(a);
      await answering(b);
      a.add("budget:x", 100, DAY);
      await until(async () => (await b.readCounters(["budget:x"]))[0] === 100, 10_000, "a write");
      await until(() => Promise.resolve(a.pendingSpend === 0), 10_000, "the write being confirmed");
      // Redis restarts empty (no persistence): the 100 is gone, what follows is not.
      await redis.stop();
      a.add("budget:x", 40, DAY);
      a.add("budget:y", 7, DAY);
      await new Promise((r) => setTimeout(r, 600));
      a.add("budget:x", 2, DAY);
      assert.equal(await a.ping(), false);
      await redis.start();
      // The monitor's pings find Redis again; what waited is sent then.
      await until(async () => await a.ping(), 10_000, "Redis answering again");
      await until(
        async () => {
          const seen = await b.readCounters(["budget:x", "budget:y"]).catch(() => []);
          return seen[0] === 42 && seen[1] === 7;
        },
        10_000,
        "the spend made while Redis was away reaching instance b",
      );
      // Sent once: later pings send nothing again.
      await a.ping();
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await b.readCounters(["budget:x", "budget:y"]), [42, 7]);
      assert.equal(a.pendingSpend, 0);
    } finally {
      a.close();
      b.close();
    }
  },
);

redisTest(
  "shared.redis: spend Redis applied after ccp stopped waiting is not counted twice",
  async (redis) => {
    const a = new RedisGuards(redis.url, "late:", silentLogger);
    try {
      await answering(a);
      // Every client waits ~0.9 s: the write gives up at 0.5 s, then Redis runs it.
      assert.equal(await redisStatus(redis.port, "CLIENT PAUSE 900 ALL"), "+OK");
      a.add("budget:z", 25, DAY);
      // Redis runs the write once the pause ends; a loaded machine may take longer to see it.
      await until(
        async () => (await redisStatus(redis.port, "GET late:budget:z")) === "$2",
        10_000,
        "Redis running the write after its pause",
      );
      // Sent again when Redis answers (ccp cannot tell it arrived), and counted once.
      await until(async () => await a.ping(), 10_000, "Redis answering again");
      await until(() => Promise.resolve(a.pendingSpend === 0), 10_000, "the write being confirmed");
      assert.deepEqual(await a.readCounters(["budget:z"]), [25]);
      a.add("budget:z", 5, DAY);
      await until(async () => (await a.readCounters(["budget:z"]))[0] === 30, 10_000, "a next add");
    } finally {
      a.close();
    }
  },
);

redisTest("shared.redis: spend waiting for Redis is bounded", async (redis) => {
  const a = new RedisGuards(redis.url, "bound:", silentLogger);
  try {
    await answering(a);
    await redis.stop();
    assert.equal(await a.ping(), false);
    for (let i = 0; i < MAX_PENDING_COUNTERS + 50; i++) a.add(`budget:${i}`, 1, DAY);
    // More spend on counters already waiting adds up in place.
    for (let i = 0; i < 100; i++) a.add("budget:0", 1, DAY);
    assert.equal(a.pendingSpend, MAX_PENDING_COUNTERS);
  } finally {
    a.close();
  }
});

/** A logger that keeps its warnings. */
function warnings(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: "warn", write: (l) => lines.push(l) }), lines };
}

redisTest(
  "shared.redis: a stop hands over spend that waited while Redis was away",
  async (redis) => {
    const a = new RedisGuards(redis.url, "stop:", silentLogger);
    const b = new RedisGuards(redis.url, "stop:", silentLogger);
    try {
      await answering(a);
      await redis.stop();
      assert.equal(await a.ping(), false);
      a.add("budget:s", 30, DAY);
      // Redis is back, but no ping has found it yet when the instance stops.
      await redis.start();
      await a.close();
      assert.equal(a.pendingSpend, 0);
      assert.deepEqual(await b.readCounters(["budget:s"]), [30]);
    } finally {
      b.close();
    }
  },
);

redisTest(
  "shared.redis: a stop while Redis stays away ends soon and says what was not handed over",
  async (redis) => {
    const { log, lines } = warnings();
    const a = new RedisGuards(redis.url, "gone:", log);
    await answering(a);
    await redis.stop();
    assert.equal(await a.ping(), false);
    a.add("budget:t", 12, DAY);
    a.add("budget:u", 5, DAY);
    const started = Date.now();
    await a.close();
    const took = Date.now() - started;
    // Bounded at ~2 s; the margin is for a loaded machine, a hang would never end.
    assert.ok(took < 8000, `close took ${took} ms`);
    const said = lines.join("");
    assert.match(said, /WARN/);
    assert.match(said, /2 budget counters/);
    assert.match(said, /budget:t \+12/);
    assert.match(said, /budget:u \+5/);
  },
);
