/**
 * The ids that name keys in Redis are keyed by the deployment's client tokens: someone who reads
 * Redis and guesses a key cannot confirm the guess by hashing it, while instances that accept the
 * same tokens still agree on which key an id names (and instances with other tokens do not).
 */

import assert from "node:assert/strict";
import { keyIdSecret } from "../../src/shared/guard_entries.ts";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisReply, redisTest, until } from "./engines.ts";
import { sha256Hex } from "./guard_inputs.ts";

const KEY = "sk-guessable-key-0123456789abcdef";
const TOKEN = "team-token-0123456789abcdef";

function target(): SharedSyncInput {
  return {
    provider: "p",
    model: "m",
    apiKeys: [KEY],
    keys: new KeyPool([KEY]),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "p" }),
  };
}

Deno.test("keyIdSecret: the server token, else every client's token in a fixed order", () => {
  assert.equal(keyIdSecret({ authToken: "t", clients: [{ token: "c" }] }), "t");
  assert.equal(
    keyIdSecret({ clients: [{ token: "b-token" }, { token: "a-token" }] }),
    keyIdSecret({ clients: [{ token: "a-token" }, { token: "b-token" }] }),
  );
  assert.equal(keyIdSecret({}), "");
});

redisTest(
  "shared.redis: a key's id is keyed by the tokens, so a guess cannot be confirmed",
  async (redis) => {
    const a = new RedisGuards(redis.url, "sec:", silentLogger, TOKEN);
    const same = new RedisGuards(redis.url, "sec:", silentLogger, TOKEN);
    const other = new RedisGuards(redis.url, "sec:", silentLogger, "another-team-token-0123456");
    try {
      await a.sync(target());
      a.setAside("p", 0, Date.now() + 60_000, 401, "invalid x-api-key");
      // The write goes out in the background: wait for it rather than for a guessed time.
      let fields = "";
      await until(
        async () => {
          fields = await redisReply(redis.port, "HKEYS sec:guard:p");
          return fields.includes("a|");
        },
        10_000,
        "the set-aside written to Redis",
      );
      const id = /a\|([0-9a-f]{12})/.exec(fields)?.[1];
      assert.ok(id, fields);
      // Hashing the guessed key, with or without the domain text ccp put before it, finds nothing.
      for (const guess of [`ccp key\n${KEY}`, KEY, `ccp key ids\n${KEY}`]) {
        assert.notEqual(id, await sha256Hex(guess, 6), `a hash of the guess names ${guess}`);
      }

      const onSame = target();
      await same.sync(onSame);
      assert.equal(onSame.keys.snapshot()[0]!.state, "blocked", "same tokens: the key is aside");
      const onOther = target();
      await other.sync(onOther);
      assert.notEqual(onOther.keys.snapshot()[0]!.state, "blocked", "other tokens: not shared");
    } finally {
      a.close();
      same.close();
      other.close();
    }
  },
);
