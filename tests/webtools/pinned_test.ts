/**
 * The pinned client of `web_fetch`: every connection goes to the address given, whatever the URL's
 * name resolves to, and its https relay opens a tunnel to that name's port only. An address that
 * does not accept is passed over for the next checked one; nothing else is ever connected to.
 */

import assert from "node:assert/strict";
import { MAX_TRIED, pinnedClient } from "../../src/webtools/pinned.ts";

/** A listener on 127.0.0.1 that closes each connection at once, and counts them. */
function closingListener(): { port: number; connections(): number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    connections: () => connections,
    close: () => (listener.close(), accepting),
  };
}

Deno.test("pinnedClient: http goes to the given address, with the URL's name as Host", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${req.headers.get("host")} ${new URL(req.url).pathname}`);
    return new Response("here");
  });
  const port = server.addr.port;
  // No resolver knows this name: only the pin can reach the server.
  const pinned = pinnedClient(new URL(`http://unresolvable.invalid:${port}/`), ["127.0.0.1"]);
  try {
    const res = await fetch(`http://unresolvable.invalid:${port}/page`, { client: pinned.client });
    assert.equal(await res.text(), "here");
    assert.deepEqual(seen, [`unresolvable.invalid:${port} /page`]);
  } finally {
    pinned.close();
    await server.shutdown();
  }
});

Deno.test("pinnedClient: the https relay refuses a tunnel to any other host", async () => {
  const listener = closingListener();
  const port = listener.port;
  const pinned = pinnedClient(new URL(`https://pinned.invalid:${port}/`), ["127.0.0.1"]);
  try {
    await assert.rejects(
      fetch(`https://elsewhere.invalid:${port}/`, { client: pinned.client }),
      (err: Error) => /tunnel/.test(String(err.cause)),
    );
    assert.equal(listener.connections(), 0, "the relay opened no connection for another host");
  } finally {
    pinned.close();
    await listener.close();
  }
});

// Nothing listens on 127.0.0.2 (the whole of 127/8 is loopback on Linux): it refuses at once, as a
// host's address that is down does.
const DOWN = "127.0.0.2";

Deno.test("pinnedClient: http passes over an address that refuses for the next checked one", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => new Response(`here ${req.headers.get("host")}`),
  );
  const port = server.addr.port;
  const url = new URL(`http://several.invalid:${port}/`);
  const pinned = pinnedClient(url, [DOWN, "127.0.0.1"]);
  try {
    const res = await fetch(url, { client: pinned.client });
    assert.equal(await res.text(), `here several.invalid:${port}`);
    assert.equal(pinned.unreachable(), undefined);
  } finally {
    pinned.close();
    await server.shutdown();
  }
});

Deno.test("pinnedClient: the https relay passes over an address that refuses, for the same tunnel", async () => {
  // Not a TLS server: the handshake fails, after the tunnel reached this listener.
  const listener = closingListener();
  const port = listener.port;
  const pinned = pinnedClient(new URL(`https://several.invalid:${port}/`), [DOWN, "127.0.0.1"]);
  try {
    await assert.rejects(fetch(`https://several.invalid:${port}/`, { client: pinned.client }));
    assert.ok(listener.connections() >= 1, "the tunnel reached the second address");
    assert.equal(pinned.unreachable(), undefined);
  } finally {
    pinned.close();
    await listener.close();
  }
});

Deno.test("pinnedClient: when no checked address accepts, the fetch fails and says what each did", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const pinned = pinnedClient(new URL(`http://several.invalid:${port}/`), [
    DOWN,
    "127.0.0.1",
    DOWN,
  ]);
  try {
    await assert.rejects(fetch(`http://several.invalid:${port}/`, { client: pinned.client }));
    const why = pinned.unreachable() ?? "";
    assert.match(why, /no address of the host accepted a connection/);
    // Each address is tried once, however often the resolver listed it.
    assert.equal(why.split(DOWN).length - 1, 1, why);
    assert.match(why, /127\.0\.0\.1: .*refused/i);
  } finally {
    pinned.close();
  }
});

Deno.test("pinnedClient: at most MAX_TRIED addresses are tried", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const many = Array.from({ length: MAX_TRIED + 3 }, (_, i) => `127.0.0.${i + 2}`);
  const pinned = pinnedClient(new URL(`http://many.invalid:${port}/`), many);
  try {
    await assert.rejects(fetch(`http://many.invalid:${port}/`, { client: pinned.client }));
    const why = pinned.unreachable() ?? "";
    assert.equal(why.split("127.0.0.").length - 1, MAX_TRIED, why);
  } finally {
    pinned.close();
  }
});
