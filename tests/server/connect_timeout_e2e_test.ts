/**
 * The connect timeout through the real server and the runtime's fetch: an upstream host that
 * never completes a connection (its packets dropped) is left for the next target after
 * `timeouts.connect`, not after `first_byte`.
 */

import assert from "node:assert/strict";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { assertComplete, FAST, readStream, setup } from "./_resilience_env.ts";
import { provider } from "../helpers/config.ts";

/**
 * A port whose connections never complete: a listener that accepts none, its queue filled. The
 * system then drops each new connection's first packet, as a host that is off or firewalled does.
 */
async function blackHole(): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const held: Deno.Conn[] = [];
  // On a loaded machine one connect can take longer than the wait without the queue being full:
  // the queue counts as full only after three connects in a row never complete.
  for (let misses = 0; misses < 3;) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 200);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port, signal: controller.signal })
      .catch(() => undefined);
    clearTimeout(timer);
    if (!conn) {
      misses++;
      continue;
    }
    misses = 0;
    held.push(conn);
    if (held.length > 5000) throw new Error("the listen queue never filled");
  }
  return {
    url: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: async () => {
      for (const conn of held) conn.close();
      listener.close();
      await Promise.resolve();
    },
  };
}

Deno.test("connect timeout: a host that never answers the connection is left after timeouts.connect", async () => {
  await using hole = await blackHole();
  const next = startFaultMock();
  await using env = setup(
    [next],
    testConfig({
      providers: [
        provider("dead", {
          baseUrl: hole.url,
          timeouts: { ...FAST, connectMs: 300, firstByteMs: 8000 },
        }),
        provider("live", { baseUrl: next.url, timeouts: FAST }),
      ],
      routes: { default: ["dead/m1", "live/m2"] },
    }),
  );
  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  const took = performance.now() - started;
  assert.ok(took >= 290 && took < 3000, `took ${took} ms (first_byte is 8 s)`);
  assert.equal(next.requests.length, 1);
  assert.match(env.ccp.logs.join(""), /300ms \(connect timeout\)/);
});

/**
 * An HTTP proxy that takes connections and reads what it is sent, but never answers: as a proxy
 * does while its own connection to an upstream that drops packets waits.
 */
function silentProxy(): { url: string; [Symbol.asyncDispose](): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        while ((await conn.read(buffer).catch(() => null)) !== null);
      })();
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // ccp closed it.
        }
      }
      await serving.catch(() => {});
    },
  };
}

Deno.test("connect timeout: through a proxy that never opens the tunnel, the next target after timeouts.connect", async () => {
  await using proxy = silentProxy();
  const next = startFaultMock();
  await using env = setup(
    [next],
    testConfig({
      providers: [
        provider("proxied", {
          baseUrl: "https://api.example.test",
          proxy: proxy.url,
          timeouts: { ...FAST, connectMs: 300, firstByteMs: 8000 },
        }),
        provider("live", { baseUrl: next.url, timeouts: FAST }),
      ],
      routes: { default: ["proxied/m1", "live/m2"] },
    }),
  );
  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  const took = performance.now() - started;
  assert.ok(took >= 290 && took < 3000, `took ${took} ms (first_byte is 8 s)`);
  assert.equal(next.requests.length, 1);
  assert.match(
    env.ccp.logs.join(""),
    new RegExp(
      `300ms \\(connect timeout\\) \\(model m1, https://api\\.example\\.test/v1/messages, through proxy ${proxy.url}\\)`,
    ),
  );
});
