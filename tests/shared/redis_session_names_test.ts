/**
 * A session's hash in Redis is named by an HMAC of its id keyed by the client tokens, as keys are:
 * a session id may be a user id or stand for a conversation's opening text, and someone who reads
 * Redis without a token cannot match a name to an id they guess. A hash an earlier build named by
 * an unkeyed SHA-256 is still read, and moved to its keyed name.
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { silentLogger } from "../../src/core/log.ts";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { redisTest, until } from "./engines.ts";
import { sha256Hex } from "./guard_inputs.ts";

const TOKEN = "team-token-0123456789abcdef";
const SESSION = "alice@example.com";
const TTL = 3_600_000;

redisTest(
  "shared.redis: a session's name is keyed by the tokens; an earlier build's is moved",
  async (redis) => {
    const a = new RedisGuards(redis.url, "ses:", silentLogger, TOKEN);
    const same = new RedisGuards(redis.url, "ses:", silentLogger, TOKEN);
    const other = new RedisGuards(redis.url, "ses:", silentLogger, "another-team-token-0123456");
    const client = createClient({ url: redis.url });
    const noKeys = () => [];
    try {
      await client.connect();
      a.affinity.keepTarget(SESSION, TTL, "default", { value: "p/m", at: Date.now() });
      let names: string[] = [];
      await until(
        async () => {
          names = await client.keys("ses:affinity:*");
          return names.length === 1;
        },
        10_000,
        "the choice written to Redis",
      );
      // Hashing the guessed id, with or without the domain text ccp put before it, finds nothing.
      for (const guess of [`ccp session\n${SESSION}`, SESSION]) {
        assert.notEqual(names[0], `ses:affinity:${await sha256Hex(guess, 16)}`, guess);
      }
      const target = async (guards: RedisGuards) =>
        (await guards.affinity.load(SESSION, TTL, noKeys))?.targets.get("default")?.value;
      assert.equal(await target(same), "p/m", "the same tokens read the session's choice");
      assert.equal(await target(other), undefined, "other tokens do not");

      // As an earlier build wrote it: named by 128 bits of SHA-256 of "ccp session\n" + the id.
      const legacy = `ses:affinity:${await sha256Hex(`ccp session\nbob`, 16)}`;
      await client.hSet(legacy, { "target:default": "p/old", "at:target:default": "1" });
      await client.pExpire(legacy, 60_000);
      const loaded = await a.affinity.load("bob", TTL, noKeys);
      assert.equal(loaded?.targets.get("default")?.value, "p/old", "the earlier hash was read");
      assert.equal(await client.exists(legacy), 0, "and moved away from its unkeyed name");
      const moved = (await client.keys("ses:affinity:*")).filter((n) => !names.includes(n));
      assert.equal(moved.length, 1);
      const ttl = await client.pTTL(moved[0]!);
      assert.ok(ttl > TTL - 60_000 && ttl <= TTL, `renewed: ${ttl}`);
      assert.equal(
        (await same.affinity.load("bob", TTL, noKeys))?.targets.get("default")?.value,
        "p/old",
        "another instance with the same tokens reads it under the keyed name",
      );
      // A keyed hash that exists is never replaced by an earlier build's.
      await client.hSet(legacy, { "target:default": "p/older", "at:target:default": "0" });
      assert.equal(
        (await a.affinity.load("bob", TTL, noKeys))?.targets.get("default")?.value,
        "p/old",
      );
    } finally {
      await client.close().catch(() => {});
      await Promise.all([a, same, other].map((g) => g.close()));
    }
  },
);
