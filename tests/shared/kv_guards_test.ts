/**
 * One instance without Redis keeps what it learned across restarts (guards.kv in the data dir):
 * set-aside and cooling keys, open circuits and rate-window places come back, and nothing
 * learned about other keys is taken in.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/core/log.ts";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { KvGuards, MAX_ENTRIES_PER_PROVIDER } from "../../src/shared/kv_guards.ts";
import { testContext } from "../cli/helpers.ts";
import { provider } from "../resilience/helpers.ts";
import { guardsOf } from "./guard_inputs.ts";
import { keyedUpstream } from "./keyed_upstream.ts";
import { postMessages } from "../helpers/ccp.ts";

const quiet = createLogger({ level: "error", write: () => {}, colour: false });

Deno.test("guards.kv: cool-downs, set-asides, circuits and windows come back; other keys' do not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_guards_" });
  const path = `${dir}/guards.kv`;
  try {
    const first = await KvGuards.open(path, quiet);
    const before = guardsOf(["k0", "k1", "k2"]);
    await first.sync({ provider: "p", model: "m", ...before });
    const release = await before.limiter.acquire();
    release();
    const until = Date.now() + 60_000;
    first.cooling("p", 0, "m", until, true);
    first.setAside("p", 1, until, 401, "invalid x-api-key");
    first.setAside("p", 2, until, 403, "no access to m", "m");
    first.circuit("p", "m", until, "502 from upstream");
    first.circuit("p", "other", until, "gone");
    first.circuit("p", "other", 0);
    await first.close();

    const second = await KvGuards.open(path, quiet);
    const after = guardsOf(["k0", "k1", "k2"]);
    await second.sync({ provider: "p", model: "m", ...after });
    const keys = after.keys.snapshot();
    assert.equal(keys[1]!.state, "blocked");
    assert.equal(keys[2]!.state, "ready", "k2 serves models other than m");
    assert.equal(
      keys[2]!.setAside?.m?.until,
      until,
      "k2 is set aside for m, until the same moment",
    );
    assert.equal(after.keys.soonest("m")?.key.index, 0, "k0 cools down for m");
    assert.equal(after.breaker.snapshot().state, "open");
    assert.equal(after.limiter.snapshot().inWindow, 1, "the grant is still in the window");
    const otherBreaker = new CircuitBreaker();
    await second.sync({ provider: "p", model: "other", ...after, breaker: otherBreaker });
    assert.equal(otherBreaker.snapshot().state, "closed", "a circuit that closed stays closed");
    await second.close();

    // A restart with none of the keys takes in nothing about keys.
    const third = await KvGuards.open(path, quiet);
    const changed = guardsOf(["k7", "k8", "k9"]);
    await third.sync({ provider: "p", model: "m", ...changed });
    assert.ok(changed.keys.snapshot().every((k) => k.state === "ready"));
    assert.equal(changed.limiter.snapshot().inWindow, 0);
    assert.equal(changed.breaker.snapshot().state, "closed");
    await third.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a restarted ccp does not try a revoked key again, and its rate window holds",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const upstream = keyedUpstream((key) => key.startsWith("revoked-") ? "refuse" : "answer");
    const { url, seen } = upstream;
    const dir = await Deno.makeTempDir({ prefix: "ccp_guard_restart_" });
    await Deno.writeTextFile(
      `${dir}/ccp.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  pool: { type: anthropic, base_url: "${url}", api_keys: [revoked-0123456789, good-0123456789] }
  paced:
    type: anthropic
    base_url: "${url}"
    api_key: paced-0123456789
    rate_limit: { requests: 2, window: 3s }
routes:
  haiku: pool/m
  default: paced/m
`,
    );
    const send = async (base: string, model: string) => {
      const res = await postMessages(base, {
        model,
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      });
      await res.body?.cancel();
      return res.status;
    };
    const start = () =>
      startServer({ ctx: testContext(dir), flags: { config: "ccp.yaml", port: 0 } });
    try {
      const first = await start();
      assert.equal(await send(first.url, "claude-haiku-4-5"), 200);
      assert.deepEqual(upstream.roles(), ["revoked", "good"]);
      assert.deepEqual(
        await Promise.all([
          send(first.url, "claude-sonnet-4-5"),
          send(first.url, "claude-sonnet-4-5"),
        ]),
        [200, 200],
      );
      const windowStart = seen.find((s) => s.key.startsWith("paced"))!.at;
      await first.stop();

      seen.length = 0;
      const second = await start();
      try {
        // Before any request, /health already shows the key set aside before the restart.
        const health = await (await fetch(`${second.url}/health`)).json();
        const states = health.resilience.providers.pool.keys.map((k: { state: string }) => k.state);
        assert.deepEqual(states, ["blocked", "ready"], JSON.stringify(health.resilience));
        assert.equal(await send(second.url, "claude-haiku-4-5"), 200);
        assert.deepEqual(upstream.roles(), ["good"], "the revoked key stays aside");
        // Two places of a 2-per-3 s window were taken before the restart: the next waits for one.
        assert.equal(await send(second.url, "claude-sonnet-4-5"), 200);
        const paced = seen.find((s) => s.key.startsWith("paced"))!;
        assert.ok(
          paced.at >= windowStart + 3000 - 50,
          `the request went ${paced.at - windowStart} ms after the window began (window 3000 ms)`,
        );
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Sends one request for `model` to a running ccp; returns the status. */
async function send(base: string, model: string): Promise<number> {
  const res = await postMessages(base, {
    model,
    max_tokens: 5,
    messages: [{ role: "user", content: "hi" }],
  });
  await res.body?.cancel();
  return res.status;
}

/**
 * Each key's state and the models it cools down for, as a running ccp's /health shows them; a
 * provider with no state and no traffic yet is not listed, and its one key is ready.
 */
async function keyStates(base: string, provider: string): Promise<string[]> {
  const health = await (await fetch(`${base}/health`)).json();
  const keys: { state: string; models?: object }[] | undefined = health.resilience.providers[
    provider
  ]?.keys;
  return keys?.map((k) => k.models ? `${k.state} ${Object.keys(k.models)}` : k.state) ?? ["ready"];
}

Deno.test({
  name: "a key that answers again is not put aside or cooling again by a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // `flip-*` is refused and `busy-*` limited until the test lifts it.
    const upstreamState = { refused: true, limited: true };
    const upstream = keyedUpstream((key) =>
      key.startsWith("flip-") && upstreamState.refused
        ? "refuse"
        : key.startsWith("busy-") && upstreamState.limited
        ? "limit"
        : "answer"
    );
    const { url, seen } = upstream;
    const dir = await Deno.makeTempDir({ prefix: "ccp_guard_cleared_" });
    await Deno.writeTextFile(
      `${dir}/ccp.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  pool: { type: anthropic, base_url: "${url}", api_key: flip-0123456789 }
  busy: { type: anthropic, base_url: "${url}", api_key: busy-0123456789 }
routes:
  haiku: pool/m
  default: busy/m
`,
    );
    const start = () =>
      startServer({ ctx: testContext(dir), flags: { config: "ccp.yaml", port: 0 } });
    try {
      const first = await start();
      try {
        assert.equal(await send(first.url, "claude-haiku-4-5"), 503);
        assert.equal(await send(first.url, "claude-sonnet-4-5"), 429);
        assert.deepEqual(await keyStates(first.url, "pool"), ["blocked"]);
        assert.deepEqual(await keyStates(first.url, "busy"), ["ready m"]);
        // Both keys work again: the set-aside key's re-try and the cooling key's probe answer.
        upstreamState.refused = false;
        upstreamState.limited = false;
        seen.length = 0;
        assert.equal(await send(first.url, "claude-haiku-4-5"), 200);
        assert.equal(await send(first.url, "claude-sonnet-4-5"), 200);
        assert.deepEqual(upstream.roles(), ["flip", "busy"]);
        assert.deepEqual(await keyStates(first.url, "pool"), ["ready"]);
        assert.deepEqual(await keyStates(first.url, "busy"), ["ready"]);
      } finally {
        await first.stop();
      }
      const second = await start();
      try {
        assert.deepEqual(await keyStates(second.url, "pool"), ["ready"], "no set-aside comes back");
        assert.deepEqual(await keyStates(second.url, "busy"), ["ready"], "no cool-down comes back");
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the start-up line counts only the configured providers whose guard state came back",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const upstream = keyedUpstream(() => "refuse");
    const { url } = upstream;
    const dir = await Deno.makeTempDir({ prefix: "ccp_guard_count_" });
    const config = (providers: string[]) =>
      `server: { data_dir: data }
usage: { enabled: false }
providers:
${
        providers.map((p) =>
          `  ${p}: { type: anthropic, base_url: "${url}", api_key: revoked-${p}-0123456789 }`
        ).join("\n")
      }
routes:
${providers.map((p, i) => `  ${["haiku", "default"][i]}: ${p}/m`).join("\n")}
`;
    await Deno.writeTextFile(`${dir}/both.yaml`, config(["kept", "dropped"]));
    await Deno.writeTextFile(`${dir}/one.yaml`, config(["kept"]));
    try {
      const first = await startServer({
        ctx: testContext(dir),
        flags: { config: "both.yaml", port: 0 },
      });
      try {
        assert.equal(await send(first.url, "claude-haiku-4-5"), 503);
        assert.equal(await send(first.url, "claude-sonnet-4-5"), 503);
      } finally {
        await first.stop();
      }
      const ctx = testContext(dir);
      const second = await startServer({ ctx, flags: { config: "one.yaml", port: 0 } });
      await second.stop();
      const lines = ctx.io.stderr.filter((line) => line.includes("Guard state"));
      assert.equal(lines.length, 1, ctx.io.stderr.join("\n"));
      assert.match(lines[0]!, /Guard state of 1 provider\(s\) taken back from /);
    } finally {
      await upstream.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the start-up line counts a provider only when some of its kept state is still running", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_guards_ended_" });
  const path = `${dir}/guards.kv`;
  const p = provider("p", { apiKeys: ["k0", "k1"] });
  /** Keeps a set-aside of key 0 ending in `ms`, waits `wait` ms, restarts: the start-up lines. */
  const restartAfter = async (ms: number, wait: number) => {
    const first = await KvGuards.open(path, quiet);
    await first.sync({ provider: "p", model: "m", ...guardsOf(["k0", "k1"]) });
    first.setAside("p", 0, Date.now() + ms, 401, "invalid x-api-key");
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, wait));
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (line) => lines.push(line), colour: false });
    const second = await KvGuards.open(path, log);
    await second.restore(new ResilienceRegistry(), [p]);
    await second.close();
    return lines.filter((line) => line.includes("Guard state"));
  };
  try {
    assert.equal((await restartAfter(60_000, 0)).length, 1, "a running set-aside is counted");
    assert.deepEqual(await restartAfter(20, 60), [], "one that has ended is not");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guards.kv keeps at most MAX_ENTRIES_PER_PROVIDER entries per provider", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kv_guards_" });
  try {
    const guards = await KvGuards.open(`${dir}/guards.kv`, quiet);
    await guards.sync({ provider: "p", model: "m", ...guardsOf(["k0"]) });
    const until = Date.now() + 60_000;
    guards.setAside("p", 0, until, 401, "refused");
    // A client naming model after model, each rate limited for a minute.
    for (let i = 0; i < MAX_ENTRIES_PER_PROVIDER + 64; i++) {
      guards.cooling("p", 0, `invented-${i}`, until, true);
    }
    assert.ok(guards.held <= MAX_ENTRIES_PER_PROVIDER, `${guards.held} entries`);
    await guards.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
