/**
 * The connection guard's request pipe on real sockets, alone (no HTTP server behind it, so no
 * answer moves the idle limit): a later request's head on a kept-alive connection is held to the
 * head limit as the first one is.
 */

import assert from "node:assert/strict";
import { GuardedConnection } from "../../src/server/guarded_connection.ts";
import { RequestPipe } from "../../src/server/request_pipe.ts";
import { readToClose } from "../hostile/_sockets.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client connection piped to a Unix socket; `forwarded` reads what the server side received. */
async function withPipe(
  timeouts: { headersMs: number; idleMs: number },
  run: (pipe: {
    client: Deno.TcpConn;
    forwarded: (until: string) => Promise<string>;
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_request_pipe_" });
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const unix = Deno.listen({ transport: "unix", path: `${dir}/s` });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: tcp.addr.port });
  const conn = await tcp.accept();
  const backend = await Deno.connect({ transport: "unix", path: `${dir}/s` });
  const server = await unix.accept();
  const c = new GuardedConnection(conn, {
    timeouts: { ...timeouts, bodyMs: 10_000 },
    maxConnections: 8,
    maxBodyBytes: 1 << 20,
  });
  c.backend = backend;
  const piped = new RequestPipe(c, backend).run().catch(() => {}).finally(c.end);
  let received = "";
  const buffer = new Uint8Array(4096);
  const forwarded = async (until: string) => {
    while (!received.includes(until)) {
      const n = await server.read(buffer);
      if (n === null) break;
      received += decoder.decode(buffer.subarray(0, n));
    }
    return received;
  };
  try {
    await run({ client, forwarded });
  } finally {
    client.close();
    await piped;
    server.close();
    tcp.close();
    unix.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("on a kept-alive connection, a later head that never ends is cut at the head limit", async () => {
  // The idle limit is far away: only the head limit can close this connection in time.
  await withPipe({ headersMs: 200, idleMs: 30_000 }, async ({ client, forwarded }) => {
    await client.write(encoder.encode("GET /a HTTP/1.1\r\nhost: x\r\n\r\n"));
    await forwarded("\r\n\r\n");
    await client.write(encoder.encode("GET /b HTTP/1.1\r\nhost: x\r\n"));
    const started = performance.now();
    const { closed } = await readToClose(client, 5000);
    assert.ok(closed, "the guard closed the connection");
    assert.ok(performance.now() - started < 4000, "closed at the head limit, not the idle one");
  });
});
