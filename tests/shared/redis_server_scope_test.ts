/**
 * shared.redis keeps what instances learn of a server under the server and its keys, not under the
 * name each config gives the provider: instances (or one instance before and after a reload that
 * renamed the provider) naming one server differently share its circuits and rate window, and
 * two naming different servers alike share nothing.
 */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { Limiter } from "../../src/resilience/limiter.ts";
import { serverTag } from "../../src/resilience/server_key.ts";
import type { SharedSyncInput } from "../../src/resilience/shared_sync.ts";
import { redisTest } from "./engines.ts";

const KEY = "sk-test-redis-scope-0123456789";
const X = { type: "openai", baseUrl: "https://x.example/v1" };
const Y = { type: "openai", baseUrl: "https://y.example/v1" };

function target(
  provider: string,
  server: typeof X,
  rate?: SharedSyncInput["rate"],
  apiKeys: readonly string[] = [KEY],
): SharedSyncInput {
  return {
    provider,
    model: "m",
    server: serverTag(server),
    apiKeys,
    keys: new KeyPool(apiKeys),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider }),
    ...(rate ? { rate } : {}),
  };
}

redisTest(
  "shared.redis: an open circuit is the server's, whatever each instance calls the provider",
  async (redis) => {
    const one = new RedisGuards(redis.url, "scope:", silentLogger);
    const two = new RedisGuards(redis.url, "scope:", silentLogger);
    try {
      await one.sync(target("gw", X));
      one.circuit("gw", "m", Date.now() + 60_000, "HTTP 500");
      await one.close();
      // Another instance names the same server and key "gateway": the circuit is open there too.
      const renamed = target("gateway", X);
      await two.sync(renamed);
      assert.equal(renamed.breaker.state, "open");
      // "gw" there is another server: nothing of X's circuit.
      const elsewhere = target("gw", Y);
      await two.sync(elsewhere);
      assert.equal(elsewhere.breaker.state, "closed");
    } finally {
      await two.close();
    }
  },
);

redisTest(
  "shared.redis: a rate window is the server's and key's: another name does not start it afresh",
  async (redis) => {
    const rate = { requests: 2, windowMs: 60_000 };
    const one = new RedisGuards(redis.url, "window:", silentLogger);
    try {
      assert.equal((await one.sync(target("gw", X, rate))).waitMs, 0);
      assert.equal((await one.sync(target("gw", X, rate))).waitMs, 0);
      // Renamed (a reload, or another instance's config): the window is full all the same.
      assert.ok((await one.sync(target("gateway", X, rate))).waitMs > 0);
      // The same name at another server counts its own window.
      assert.equal((await one.sync(target("gw", Y, rate))).waitMs, 0);
    } finally {
      await one.close();
    }
  },
);

// Two accounts' keys at one server that end in the same 4 characters (as ccp shows them), and two
// short keys (which show none).
const ALIKE = ["sk-team-one-aaaaaaaa-9f3c", "sk-team-two-bbbbbbbb-9f3c"];
const SHORT = ["team-one", "team-two"];

redisTest(
  "shared.redis: two accounts at one server whose keys end alike share no circuit",
  async (redis) => {
    for (const [first, second] of [ALIKE, SHORT]) {
      const one = new RedisGuards(redis.url, `alike-${first}:`, silentLogger);
      const two = new RedisGuards(redis.url, `alike-${first}:`, silentLogger, "other token");
      try {
        await one.sync(target("a", X, undefined, [first!]));
        one.circuit("a", "m", Date.now() + 60_000, "HTTP 500");
        await one.close();
        // The other account's provider, on an instance with other client tokens: still closed.
        const other = target("b", X, undefined, [second!]);
        await two.sync(other);
        assert.equal(other.breaker.state, "closed", `${first} / ${second}`);
        // The same account there, under another name and with its keys in another order: open.
        const same = target("c", X, undefined, [first!]);
        await two.sync(same);
        assert.equal(same.breaker.state, "open", `${first} on the other instance`);
      } finally {
        await two.close();
      }
    }
  },
);

redisTest(
  "shared.redis: two accounts at one server whose keys end alike count their own rate windows",
  async (redis) => {
    const rate = { requests: 1, windowMs: 60_000 };
    const one = new RedisGuards(redis.url, "alike-window:", silentLogger);
    try {
      assert.equal((await one.sync(target("a", X, rate, [ALIKE[0]!, KEY]))).waitMs, 0);
      assert.equal((await one.sync(target("b", X, rate, [ALIKE[1]!, KEY]))).waitMs, 0);
      // The first account's keys in another order: the same account, its window full.
      assert.ok((await one.sync(target("c", X, rate, [KEY, ALIKE[0]!]))).waitMs > 0);
    } finally {
      await one.close();
    }
  },
);
