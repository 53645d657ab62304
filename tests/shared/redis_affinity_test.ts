/**
 * Session affinity across instances through Redis: two ccp instances, each with its own round-robin
 * cursor and weighted turn, share one Redis; a session that arrives at the other instance keeps
 * the key and target the first one chose. Redis holds a hash of the session id, never the id.
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { silentLogger } from "../../src/core/log.ts";
import { balance } from "../../src/pipeline/balance.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { KEEP_SCRIPT } from "../../src/shared/redis_affinity.ts";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { redisTest } from "./engines.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

function upstream(name: string, seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const session = req.headers.get("x-claude-code-session-id") ?? "-";
    seen.push(`${session} ${name} ${req.headers.get("x-api-key")}`);
    return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }, "ok"));
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

async function send(url: string, session: string): Promise<void> {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
  }, { "x-claude-code-session-id": session });
  await res.body?.cancel();
  assert.equal(res.status, 200);
  // The choice is written after the answer, without waiting: give it a moment to land.
  await new Promise((r) => setTimeout(r, 50));
}

for (const affinity of [true, false]) {
  const name = affinity
    ? "shared.redis: a session keeps its key and target on another instance"
    : "shared.redis: without session affinity nothing of sessions is written to Redis";
  redisTest(name, async (redis) => {
    const seen: string[] = [];
    const a = upstream("a", seen);
    const b = upstream("b", seen);
    const config = configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
providers:
  a: { type: anthropic, base_url: "${a.url}", api_keys: [k1, k2], key_strategy: round_robin }
  b: { type: anthropic, base_url: "${b.url}", api_key: kb }
routes:
  default:
    - { target: a/m, weight: 1 }
    - { target: b/m, weight: 1 }
routing: { session_affinity: ${affinity} }
`,
    });
    const guards = [0, 1].map(() => new RedisGuards(redis.url, "aff:", silentLogger));
    const [one, two] = guards.map((g) => startCcp(config, { sharedGuards: g }));
    const client = createClient({ url: redis.url });
    try {
      await send(one!.url, "s1"); // one: a k1; its next turn is b, its next key k2
      await send(two!.url, "s2"); // two: a k1; likewise
      await send(two!.url, "s1"); // s1's own (from one), else two's next turn: b
      await send(one!.url, "s2"); // s2's own (from two), else one's next turn: b
      assert.deepEqual(
        seen,
        affinity
          ? ["s1 a k1", "s2 a k1", "s1 a k1", "s2 a k1"]
          : ["s1 a k1", "s2 a k1", "s1 b kb", "s2 b kb"],
      );
      await client.connect();
      // With affinity off a request makes no round trip for it: no session hash was renewed.
      const stats = await client.info("commandstats");
      assert.equal(/cmdstat_pexpire:/.test(stats), affinity, stats);
      const names = await client.keys("aff:affinity:*");
      assert.equal(names.length, affinity ? 2 : 0);
      for (const name of names) {
        assert.doesNotMatch(name, /s[12]/, "a session id reached Redis");
        const ttl = await client.pTTL(name);
        assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `ttl ${ttl}`);
        assert.deepEqual(Object.keys(await client.hGetAll(name)).sort(), [
          "at:key:a",
          "at:target:default",
          "key:a",
          "target:default",
        ]);
      }
    } finally {
      await client.close().catch(() => {});
      await one!.close();
      await two!.close();
      await Promise.all(guards.map((g) => g.close()));
      await a.close();
      await b.close();
    }
  });
}

redisTest(
  "shared.redis: of a session's choices the newer wins, however its reads and writes cross",
  async (redis) => {
    const config = configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
providers:
  a: { type: anthropic, base_url: "http://127.0.0.1:9", api_keys: [k1, k2, k3] }
routes: { default: a/m }
routing: { session_affinity: true }
`,
    });
    const keys = config.providers.a!.apiKeys;
    const guards = new RedisGuards(redis.url, "aff:", silentLogger);
    const shared = guards.affinity;
    const ttl = config.routing!.sessionAffinityTtlMs!;
    const headers = (session: string) => new Headers({ "x-claude-code-session-id": session });
    const body = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] };
    const resolution = resolveRoute({ request: body }, config);
    // The key of `session` on `registry`'s instance, as its next request sees it.
    const keyOn = async (registry: ResilienceRegistry, session: string) => {
      const request = { headers: headers(session), body };
      const balanced = await balance(resolution, request, config, registry, shared);
      return balanced.keys?.keyOf("a");
    };
    // What Redis holds for a session once the write sent without waiting has landed: the value
    // `expected`, asked for until it is there (a loaded machine may take a while to send it).
    const stored = async (session: string, expected: number) => {
      let value: number | undefined;
      for (const start = Date.now(); Date.now() - start < 5000;) {
        value = (await shared.load(session, ttl, () => keys))?.keys.get("a")?.value;
        if (value === expected) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return value;
    };
    const client = createClient({ url: redis.url });
    // The Redis name of a session's hash: the one its first write made.
    const names = new Set<string>();
    const nameOf = async (session: string, value: number) => {
      assert.equal(await stored(session, value), value);
      const made = (await client.keys("aff:affinity:*")).filter((n) => !names.has(n));
      assert.equal(made.length, 1);
      names.add(made[0]!);
      return made[0]!;
    };
    try {
      await client.connect();
      const now = Date.now();
      // A choice written without a time (by a ccp from before them) is read, as older than any.
      shared.keepKey("s0", ttl, "a", keys, { value: 1, at: now });
      const s0 = await nameOf("s0", 1);
      assert.equal(await client.hGet(s0, "at:key:a"), String(now));
      await client.hDel(s0, "at:key:a");
      assert.equal(await keyOn(new ResilienceRegistry(), "s0"), 1);
      const moved = new ResilienceRegistry();
      moved.affinity.session("s0", ttl).keepKey("a", 2);
      assert.equal(await keyOn(moved, "s0"), 2);

      // Another instance chose k1 a minute ago; this one moved the session to k2 a moment ago,
      // and its write has not landed yet (here: not sent). Its next read must not undo that.
      shared.keepKey("s1", ttl, "a", keys, { value: 0, at: now - 60_000 });
      await nameOf("s1", 0);
      const here = new ResilienceRegistry();
      here.affinity.session("s1", ttl).keepKey("a", 1);
      assert.equal(await keyOn(here, "s1"), 1, "the read undid the newer choice made here");

      // A choice another instance made after this one's is taken in.
      shared.keepKey("s1", ttl, "a", keys, { value: 2, at: Date.now() + 1000 });
      assert.equal(await stored("s1", 2), 2);
      assert.equal(await keyOn(here, "s1"), 2);

      // Two instances' writes landing out of order: the newer choice stays in Redis. The writes
      // are the script the instances send, run here one after the other.
      shared.keepKey("s2", ttl, "a", keys, { value: 1, at: now });
      const s2 = await nameOf("s2", 1);
      const idOf1 = await client.hGet(s2, "key:a");
      assert.ok(idOf1);
      const write = (id: string, at: number) =>
        client.eval(KEEP_SCRIPT, { keys: [s2], arguments: ["key:a", String(at), id, "60000"] });
      await write("older-choice", now - 1);
      assert.equal(await client.hGet(s2, "key:a"), idOf1, "an older choice replaced the newer");
      assert.equal(await client.hGet(s2, "at:key:a"), String(now));
      assert.equal(await keyOn(new ResilienceRegistry(), "s2"), 1);
      await write("newer-choice", now + 1);
      assert.equal(await client.hGet(s2, "key:a"), "newer-choice");
      assert.equal(await client.hGet(s2, "at:key:a"), String(now + 1));
    } finally {
      await client.close().catch(() => {});
      await guards.close();
    }
  },
);
