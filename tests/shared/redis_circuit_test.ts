/**
 * An open circuit breaker is shared through Redis like cool-downs and set-asides: once one
 * instance has opened it, a request that starts on another instance 100 ms later skips that
 * target for the route's next one, without trying it first. Another deployment on the same Redis
 * (its own `shared.prefix`; `ccp:` by default) shares nothing with it.
 */

import assert from "node:assert/strict";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { REDIS_MISSING, startRedis, until } from "./engines.ts";

const message = textMessage("m", { input_tokens: 10, output_tokens: 5 });

/** An upstream whose model `broken` always fails with 500; any other model answers. */
function startUpstream() {
  const tries: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const { model } = await req.json();
    tries.push(model);
    if (model === "broken") {
      return Response.json({ type: "error", error: { type: "api_error", message: "down" } }, {
        status: 500,
      });
    }
    return Response.json({ ...message, model });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, tries, close: () => server.shutdown() };
}

/** The lines of one command's answer from the Redis at `port`, read as text. */
async function redisLines(port: number, ...args: string[]): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const command = `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
    await conn.write(new TextEncoder().encode(command));
    const buf = new Uint8Array(65536);
    const n = await conn.read(buf) ?? 0;
    const lines = new TextDecoder().decode(buf.subarray(0, n)).split("\r\n");
    return lines.filter((line, i) => i > 0 && line !== "" && !line.startsWith("$"));
  } finally {
    conn.close();
  }
}

/** The names of every key in the Redis at `port`. */
const redisKeys = (port: number) => redisLines(port, "KEYS", "*");

async function send(url: string): Promise<{ status: number; model: string | null }> {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "x",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await res.body?.cancel();
  return { status: res.status, model: res.headers.get("x-ccp-model") };
}

Deno.test({
  name: "shared.redis: a circuit one instance opened is skipped by another once it is in Redis",
  ignore: REDIS_MISSING !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const redis = await startRedis();
    const up = startUpstream();
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_circuit_" });
    const yaml = (shared: string) =>
      `server: { data_dir: data }
usage: { enabled: false }
shared: { redis: "${redis.url}"${shared} }
providers:
  up:
    type: anthropic
    base_url: "${up.url}"
    api_key: good-0123456789
    max_retries: 0
routes:
  default: [up/broken, up/spare]
`;
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(""));
    await Deno.writeTextFile(`${dir}/other.yaml`, yaml(`, prefix: "other:"`));
    const [a, b, other] = await Promise.all(
      ["c.yaml", "c.yaml", "other.yaml"].map((config) =>
        startServer({ ctx: testContext(dir), flags: { config, port: 0 } })
      ),
    );
    try {
      const urlA = `http://127.0.0.1:${a!.port}`;
      const urlB = `http://127.0.0.1:${b!.port}`;
      // Three failures in a row open the circuit on A; each request is still served by the spare.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await send(urlA), { status: 200, model: "spare" });
      }
      assert.equal(up.tries.filter((m) => m === "broken").length, 3);
      // A's write reaches Redis in a few ms; a loaded machine may take longer, so wait for it.
      await until(
        async () => (await redisLines(redis.port, "HKEYS", "ccp:guard:up")).includes("b|broken"),
        5000,
        "A's open circuit in Redis",
      );
      // B never met the failures: what A learned keeps it from trying the broken target.
      assert.deepEqual(await send(urlB), { status: 200, model: "spare" });
      assert.equal(up.tries.filter((m) => m === "broken").length, 3, "B tried the open circuit");
      // The other deployment's keys are apart: it has learned nothing, and tries the target.
      assert.deepEqual(await send(`http://127.0.0.1:${other!.port}`), {
        status: 200,
        model: "spare",
      });
      assert.equal(up.tries.filter((m) => m === "broken").length, 4);
      const keys = await redisKeys(redis.port);
      assert.ok(keys.length > 0 && keys.every((k) => /^(ccp|other):/.test(k)), keys.join(", "));
      assert.ok(keys.some((k) => k.startsWith("ccp:")), keys.join(", "));
    } finally {
      await Promise.all([a!.stop(), b!.stop(), other!.stop()]);
      await up.close();
      await redis.remove();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
