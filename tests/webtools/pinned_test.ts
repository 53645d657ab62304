/**
 * The pinned client of `web_fetch`: every connection goes to the address given, whatever the URL's
 * name resolves to, and its https relay opens a tunnel to that name's port only.
 */

import assert from "node:assert/strict";
import { pinnedClient } from "../../src/webtools/pinned.ts";

Deno.test("pinnedClient: http goes to the given address, with the URL's name as Host", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${req.headers.get("host")} ${new URL(req.url).pathname}`);
    return new Response("here");
  });
  const port = server.addr.port;
  // No resolver knows this name: only the pin can reach the server.
  const pinned = pinnedClient(new URL(`http://unresolvable.invalid:${port}/`), "127.0.0.1");
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
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  const pinned = pinnedClient(new URL(`https://pinned.invalid:${port}/`), "127.0.0.1");
  try {
    await assert.rejects(
      fetch(`https://elsewhere.invalid:${port}/`, { client: pinned.client }),
      (err: Error) => /tunnel/.test(String(err.cause)),
    );
    assert.equal(connections, 0, "the relay opened no connection for another host");
  } finally {
    pinned.close();
    listener.close();
    await accepting;
  }
});
