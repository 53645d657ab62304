/**
 * An open circuit breaker is shared through Redis like cool-downs and set-asides: once one
 * instance has opened it, a request that starts on another instance 100 ms later skips that
 * target for the route's next one, without trying it first. Another deployment on the same Redis
 * (its own `shared.prefix`; `ccp:` by default) shares nothing with it.
 */

import assert from "node:assert/strict";
import { pacedStream, textMessage } from "../mocks/anthropic_fixtures.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { redisTest, redisValues, until } from "./engines.ts";
import { postMessages } from "../helpers/ccp.ts";

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

async function send(url: string): Promise<{ status: number; model: string | null }> {
  const res = await postMessages(url, {
    model: "x",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  });
  await res.body?.cancel();
  return { status: res.status, model: res.headers.get("x-ccp-model") };
}

/**
 * The guard fields of every provider in Redis: each is kept under its server and keys (a tag),
 * not the provider's name.
 */
async function guardFields(port: number): Promise<string[]> {
  const fields: string[] = [];
  for (const key of await redisValues(port, "KEYS ccp:guard:*")) {
    fields.push(...await redisValues(port, `HKEYS ${key}`));
  }
  return fields;
}

redisTest(
  "shared.redis: a circuit one instance opened is skipped by another once it is in Redis",
  async (redis) => {
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
        async () => (await guardFields(redis.port)).includes("b|broken"),
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
      const keys = await redisValues(redis.port, "KEYS *");
      assert.ok(keys.length > 0 && keys.every((k) => /^(ccp|other):/.test(k)), keys.join(", "));
      assert.ok(keys.some((k) => k.startsWith("ccp:")), keys.join(", "));
    } finally {
      await Promise.all([a!.stop(), b!.stop(), other!.stop()]);
      await up.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

redisTest(
  "shared.redis: a stream sent before another instance opened the circuit does not close it",
  async (redis) => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => openGate = resolve);
    const tries: { model: string; stream: boolean }[] = [];
    // `flaky` streams (held open until the gate opens) but fails every other request with 500.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const { model, stream } = await req.json();
        tries.push({ model, stream: stream === true });
        if (model === "flaky" && stream) {
          return new Response(pacedStream(model, ["late"], () => gate), {
            headers: { "content-type": "text/event-stream" },
          });
        }
        if (model === "flaky") {
          return Response.json({ type: "error", error: { type: "api_error", message: "down" } }, {
            status: 500,
          });
        }
        return Response.json({ ...message, model });
      },
    );
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_circuit_late_" });
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
shared: { redis: "${redis.url}" }
providers:
  up:
    type: anthropic
    base_url: "http://127.0.0.1:${server.addr.port}"
    api_key: good-0123456789
    max_retries: 0
routes:
  default: [up/flaky, up/spare]
`,
    );
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } })
      ),
    );
    const flakyTries = () => tries.filter((t) => t.model === "flaky").length;
    try {
      const urlA = `http://127.0.0.1:${a!.port}`;
      const urlB = `http://127.0.0.1:${b!.port}`;
      // A streams from flaky while its circuit is closed everywhere.
      const early = await postMessages(urlA, {
        model: "x",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(early.headers.get("x-ccp-model"), "flaky");
      // Then B meets three failures and opens the circuit, for A too once it is in Redis.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await send(urlB), { status: 200, model: "spare" });
      }
      await until(
        async () => (await guardFields(redis.port)).includes("b|flaky"),
        5000,
        "B's open circuit in Redis",
      );
      // A reads Redis again once its last answer is no longer fresh (well under 100 ms).
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await send(urlA), { status: 200, model: "spare" });
      assert.equal(flakyTries(), 4, "A took in B's open circuit");
      // The early stream ends well, after the failures that came later than it was sent.
      openGate();
      assert.match(await early.text(), /message_stop/);
      assert.deepEqual(await send(urlA), { status: 200, model: "spare" });
      assert.equal(flakyTries(), 4, "A keeps the circuit open");
      await new Promise((r) => setTimeout(r, 200));
      const fields = await guardFields(redis.port);
      assert.ok(fields.includes("b|flaky"), `the circuit is still open in Redis: ${fields}`);
    } finally {
      openGate();
      await Promise.all([a!.stop(), b!.stop()]);
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
