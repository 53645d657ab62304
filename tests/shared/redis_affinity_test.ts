/**
 * Session affinity across instances through Redis: two ccp instances, each with its own round-robin
 * cursor and weighted turn, share one Redis; a session that arrives at the other instance keeps
 * the key and target the first one chose. Redis holds a hash of the session id, never the id.
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { silentLogger } from "../../src/core/log.ts";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { startCcp } from "../helpers/ccp.ts";
import { REDIS_MISSING, startRedis } from "./engines.ts";

function upstream(name: string, seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const session = req.headers.get("x-claude-code-session-id") ?? "-";
    seen.push(`${session} ${name} ${req.headers.get("x-api-key")}`);
    return Response.json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

async function send(url: string, session: string): Promise<void> {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": session },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 200);
  // The choice is written after the answer, without waiting: give it a moment to land.
  await new Promise((r) => setTimeout(r, 50));
}

for (const affinity of [true, false]) {
  Deno.test({
    name: affinity
      ? "shared.redis: a session keeps its key and target on another instance"
      : "shared.redis: without session affinity nothing of sessions is written to Redis",
    ignore: REDIS_MISSING !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const redis = await startRedis();
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
        await redis.remove();
      }
    },
  });
}
