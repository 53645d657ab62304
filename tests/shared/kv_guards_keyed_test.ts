/**
 * guards.kv names a provider's keys by a digest keyed by the client tokens: whoever reads the file
 * cannot confirm a key they guess by hashing it. What an earlier build kept under its unkeyed
 * SHA-256 is still taken back at the next start, and written over in the keyed form.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { KvGuards } from "../../src/shared/kv_guards.ts";
import { provider } from "../resilience/helpers.ts";
import { guardsOf, sha256Hex } from "./guard_inputs.ts";

const quiet = createLogger({ level: "error", write: () => {}, colour: false });
const KEYS = ["sk-guessable-key-0123456789abcdef", "sk-second-key-0123456789abcdef"];
const TOKEN = "team-token-0123456789abcdef";

/** Every record in the file, as written. */
async function records(path: string): Promise<Map<string, { keys: string }>> {
  const kv = await Deno.openKv(path);
  try {
    const out = new Map<string, { keys: string }>();
    for await (const item of kv.list<{ keys: string }>({ prefix: ["guards"] })) {
      out.set(String(item.key[1]), item.value);
    }
    return out;
  } finally {
    kv.close();
  }
}

/** Key 1's state at the first request to `p` of a run started under `secret`. */
async function key1AtStart(path: string, secret: string): Promise<string> {
  const guards = await KvGuards.open(path, quiet, secret);
  const after = guardsOf(KEYS);
  await guards.sync({ provider: "p", model: "m", ...after });
  await guards.close();
  return after.keys.snapshot()[1]!.state;
}

/** Keeps a set-aside of key 1 of `p` under `secret`, restarts under `next`: key 1's state then. */
async function restarted(path: string, secret: string, next: string): Promise<string> {
  const first = await KvGuards.open(path, quiet, secret);
  await first.sync({ provider: "p", model: "m", ...guardsOf(KEYS) });
  first.setAside("p", 1, Date.now() + 60_000, 401, "invalid x-api-key");
  await first.close();
  return await key1AtStart(path, next);
}

/**
 * Writes `saved` as an earlier build did, each record under its digest of {@link KEYS}: 96 bits
 * of SHA-256 over the keys joined by newlines. Returns that digest.
 */
async function writeUnkeyed(
  path: string,
  saved: Record<string, { entries: Record<string, string>; grants: number[] }>,
): Promise<string> {
  const legacy = (await sha256Hex(KEYS.join("\n"))).slice(0, 24);
  const kv = await Deno.openKv(path);
  try {
    for (const [name, record] of Object.entries(saved)) {
      await kv.set(["guards", name], { keys: legacy, ...record });
    }
  } finally {
    kv.close();
  }
  return legacy;
}

Deno.test("guards.kv: the keys' digest is keyed by the tokens, so a guess cannot be confirmed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_keyed_" });
  const path = `${dir}/guards.kv`;
  try {
    assert.equal(await restarted(path, TOKEN, TOKEN), "blocked", "the same tokens take it back");
    const stored = (await records(path)).get("p")?.keys ?? "";
    assert.ok(stored.length > 0, "a digest is kept");
    // The guess is right, and none of the ways to hash it gives what the file holds.
    for (const text of [KEYS.join("\n"), KEYS[0]!, KEYS[1]!, KEYS.join("")]) {
      const guess = await sha256Hex(text);
      assert.ok(!stored.includes(guess.slice(0, 16)), `the file holds a hash of ${text}`);
    }
    await Deno.remove(path);
    assert.equal(await restarted(path, TOKEN, "another-token-0123456789"), "ready");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guards.kv: what an earlier build kept under an unkeyed digest comes back, keyed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_legacy_" });
  const path = `${dir}/guards.kv`;
  try {
    const until = Date.now() + 60_000;
    const legacy = await writeUnkeyed(path, {
      p: { entries: { [`a|1`]: `${until}|401|invalid x-api-key` }, grants: [Date.now() - 1000] },
      // A provider the config no longer has: nothing can write its record over, so it goes.
      gone: { entries: { [`a|0`]: `${until}|401|x` }, grants: [] },
    });

    const guards = await KvGuards.open(path, quiet, TOKEN);
    const registry = new ResilienceRegistry();
    const p = provider("p", { apiKeys: KEYS, rateLimit: { requests: 3, windowMs: 60_000 } });
    await guards.restore(registry, [p]);
    const { keys, limiter } = registry.provider(p);
    assert.equal(keys.snapshot()[1]!.state, "blocked", "the set-aside came back");
    assert.equal(limiter.snapshot().inWindow, 1, "the rate window's place came back");
    await guards.close();

    const kept = await records(path);
    assert.deepEqual([...kept.keys()], ["p"], "the record of a provider gone was removed");
    assert.notEqual(kept.get("p")!.keys, legacy, "the unkeyed digest was written over");
    // And the next start, under the same tokens, reads the keyed form.
    assert.equal(await key1AtStart(path, TOKEN), "blocked");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guards.kv: two first requests at once take an earlier build's record in once, whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_legacy_race_" });
  const path = `${dir}/guards.kv`;
  try {
    await writeUnkeyed(path, {
      p: { entries: { [`a|1`]: `${Date.now() + 60_000}|401|invalid x-api-key` }, grants: [] },
    });

    const guards = await KvGuards.open(path, quiet, TOKEN);
    // Two requests to the provider, sent before either was served: the registry's one set of guards.
    const shared = guardsOf(KEYS);
    await Promise.all([1, 2].map(() => guards.sync({ provider: "p", model: "m", ...shared })));
    assert.equal(shared.keys.snapshot()[1]!.state, "blocked");
    assert.equal(guards.held, 1, "the store holds the set-aside it took back");
    await guards.close();
    // So the record written over keyed still holds it.
    assert.equal(await key1AtStart(path, TOKEN), "blocked");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
