/**
 * A Redis that stops answering (it does not refuse: the connection stays open and nothing comes
 * back) must not hold a stop of ccp for ever: the guard state's close gives the spend still
 * waiting a bounded time (about 2 s), like the ledger's close, and says what it could not hand over.
 */

import assert from "node:assert/strict";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { redisTest } from "./engines.ts";
import { postMessages } from "../helpers/ccp.ts";

/** A TCP proxy to `port` that, once frozen, drops what either side sends. */
function freezableProxy(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const state = { frozen: false };
  const conns: Deno.Conn[] = [];
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (!state.frozen) await to.write(buf.subarray(0, n));
      }
    } catch { /* either side closed */ }
  };
  void (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(client, server);
      void pump(client, server);
      void pump(server, client);
    }
  })().catch(() => {});
  const { port: own } = listener.addr as Deno.NetAddr;
  return {
    url: `redis://127.0.0.1:${own}`,
    freeze: () => void (state.frozen = true),
    close: () => {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

redisTest(
  "shared.redis: a Redis that stops answering holds a stop for a few seconds, then a warning",
  async (redis) => {
    const proxy = freezableProxy(redis.port);
    const message = textMessage("m", { input_tokens: 10, output_tokens: 5 });
    const up = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => Response.json(message),
    );
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_stop_" });
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
shared: { redis: "${proxy.url}" }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:${up.addr.port}", api_key: good-0123456789 }
routes:
  default: up/main
budgets:
  - { target: up, tokens: 1000000, per: day }
`,
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    let stopped = false;
    try {
      const send = async () => {
        const res = await postMessages(server.url, {
          model: "x",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await send(), 200);
      await new Promise((r) => setTimeout(r, 300));
      proxy.freeze();
      // Spend that Redis, now silent, never takes.
      assert.equal(await send(), 200);
      const started = Date.now();
      const outcome = await Promise.race([
        server.stop().then(() => "stopped"),
        new Promise((r) => setTimeout(() => r("still running"), 15_000)),
      ]);
      stopped = outcome === "stopped";
      const took = Date.now() - started;
      assert.equal(outcome, "stopped", ctx.io.stderr.join(""));
      assert.ok(took < 9000, `the stop took ${took} ms`);
      assert.match(
        ctx.io.stderr.join(""),
        /WARN {2}Redis at redis:\/\/127\.0\.0\.1:\d+: stopping without handing over budget spend on 1 budget counter/,
        ctx.io.stderr.join(""),
      );
    } finally {
      proxy.close();
      if (!stopped) await server.stop().catch(() => {});
      await up.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
