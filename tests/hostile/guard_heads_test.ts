/**
 * Malformed request heads on real sockets: each head Deno's HTTP server would answer with an
 * empty 400 gets the guard's Anthropic-shaped 400 naming its fault instead, and each head the
 * server reads passes the guard and is served.
 */

import assert from "node:assert/strict";
import { guardConnections } from "../../src/server/connection_guard.ts";
import { BARE_LF } from "../../src/server/guard_syntax.ts";
import { READ_HEADS, REFUSED_HEADS } from "../server/_request_heads.ts";

const decoder = new TextDecoder();
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Sends `raw` on a new connection and reads the first answer: its status line and body. */
async function exchange(
  connect: () => Promise<Deno.Conn>,
  raw: string,
): Promise<{ status: string; body: string }> {
  const conn = await connect();
  try {
    await conn.write(latin1(raw));
    const buffer = new Uint8Array(65536);
    let text = "";
    const until = Date.now() + 3000;
    // Read until the answer's declared body is in (a kept-alive connection stays open).
    for (;;) {
      const at = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text.slice(0, at + 2))?.[1];
      if (at >= 0 && length !== undefined && text.length >= at + 4 + Number(length)) break;
      if (Date.now() > until) break;
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
    }
    const at = text.indexOf("\r\n\r\n");
    return { status: text.slice(0, text.indexOf("\r\n")), body: at < 0 ? "" : text.slice(at + 4) };
  } finally {
    conn.close();
  }
}

/** A server on a Unix socket behind the guard, as `ccp serve` binds them, for `run`. */
async function withGuard(
  handler: (req: Request) => Response | Promise<Response>,
  run: (to: {
    server: () => Promise<Deno.Conn>;
    guard: () => Promise<Deno.Conn>;
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_guard_heads_" });
  const socket = `${dir}/http.sock`;
  const backend = Deno.serve({ transport: "unix", path: socket, onListen: () => {} }, handler);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const guard = guardConnections(listener, socket, {
    timeouts: { headersMs: 5000, bodyMs: 5000, idleMs: 5000 },
    maxConnections: 64,
    maxBodyBytes: 1 << 20,
  });
  try {
    await run({
      server: () => Deno.connect({ transport: "unix", path: socket }),
      guard: () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    });
  } finally {
    guard.close();
    await backend.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a head the server would answer with an empty 400 gets the guard's 400 naming its fault", async () => {
  await withGuard(
    async (req) => {
      await req.arrayBuffer();
      return new Response("served");
    },
    async ({ server: toServer, guard: toGuard }) => {
      for (const { head, fault } of REFUSED_HEADS) {
        const shown = JSON.stringify(head).slice(0, 120);
        // The server alone: an empty 400, which says nothing of what is wrong.
        const bare = await exchange(toServer, head);
        assert.equal(
          `${bare.status}|${bare.body}`,
          "HTTP/1.1 400 Bad Request|",
          `server: ${shown}`,
        );
        const guarded = await exchange(toGuard, head);
        assert.equal(guarded.status, "HTTP/1.1 400 Bad Request", `guard: ${shown}`);
        const error = JSON.parse(guarded.body);
        assert.equal(error.type, "error");
        assert.equal(error.error.type, "invalid_request_error");
        assert.ok(error.error.message.startsWith(fault), `${shown}: ${error.error.message}`);
      }
      for (const { head, body = "" } of READ_HEADS) {
        // Read by the server alone, and so by the guard too.
        const direct = await exchange(toServer, head + body);
        assert.equal(direct.body, "served", `server: ${JSON.stringify(head).slice(0, 120)}`);
        const answer = await exchange(toGuard, head + body);
        assert.equal(answer.body, "served", JSON.stringify(head).slice(0, 120));
      }
    },
  );
});

Deno.test("a head whose lines end in bare LFs is refused at once, naming them", async () => {
  // The server reads such a head; the guard, which reads lines by CRLF, once waited for a blank
  // line in CRLFs until the head limit, then closed the connection without a word.
  await withGuard(
    () => new Response("served"),
    async ({ guard: toGuard }) => {
      for (const head of ["GET / HTTP/1.1\nhost: x\n\n", "GET / HTTP/1.1\r\nhost: x\r\n\n"]) {
        const started = Date.now();
        const answer = await exchange(toGuard, head);
        assert.equal(answer.status, "HTTP/1.1 400 Bad Request", JSON.stringify(head));
        assert.equal(JSON.parse(answer.body).error.message, BARE_LF);
        assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
      }
    },
  );
});

Deno.test("empty lines before a request line are passed over, as the server passes them over", async () => {
  // A client may send a CRLF after a body, or a few before a request; the server reads past them
  // (RFC 9112, section 2.2), and the guard once took two of them for an empty head and refused it.
  const get = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
  await withGuard(
    async (req) => new Response(`served ${(await req.text()).length}`),
    async ({ server: toServer, guard: toGuard }) => {
      for (
        const lines of ["\r\n\r\n", "\r\n".repeat(3), "\r\n".repeat(200), "\n\n", "\r\n\n\r\n"]
      ) {
        const shown = JSON.stringify(lines).slice(0, 40);
        assert.equal((await exchange(toServer, lines + get)).body, "served 0", `server: ${shown}`);
        const answer = await exchange(toGuard, lines + get);
        assert.equal(
          `${answer.status}|${answer.body}`,
          "HTTP/1.1 200 OK|served 0",
          `guard: ${shown}`,
        );
      }
      // Empty lines in reads of their own, before the head, a CR and its LF in two reads too.
      const conn = await toGuard();
      try {
        for (const part of ["\r\n", "\r\n\r\n", "\r", "\n\r", "\n", get]) {
          await conn.write(latin1(part));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const buffer = new Uint8Array(4096);
        const n = await conn.read(buffer);
        assert.match(decoder.decode(buffer.subarray(0, n ?? 0)), /^HTTP\/1\.1 200 OK[^]*served 0$/);
      } finally {
        conn.close();
      }
      // A CRLF after a body, then the next request on the same connection: both are served.
      const post = "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello\r\n\r\n";
      const both = await exchangeTwo(toGuard, post + get);
      assert.deepEqual(both, ["served 5", "served 0"]);
    },
  );
});

Deno.test("empty lines with no request after them count toward the head limit", async () => {
  await withGuard(
    () => new Response("served"),
    async ({ guard: toGuard }) => {
      const started = Date.now();
      const answer = await exchange(toGuard, "\r\n".repeat(40 * 1024));
      assert.equal(answer.status, "HTTP/1.1 400 Bad Request");
      assert.equal(JSON.parse(answer.body).error.message, "Request headers exceed 64 KiB");
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    },
  );
});

/** Sends `raw` on one connection and reads two answers' bodies (each `served …`). */
async function exchangeTwo(connect: () => Promise<Deno.Conn>, raw: string): Promise<string[]> {
  const conn = await connect();
  try {
    await conn.write(latin1(raw));
    const buffer = new Uint8Array(65536);
    let text = "";
    const until = Date.now() + 3000;
    while ((text.match(/served \d+/g) ?? []).length < 2 && Date.now() < until) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
    }
    return text.match(/served \d+/g) ?? [];
  } finally {
    conn.close();
  }
}
