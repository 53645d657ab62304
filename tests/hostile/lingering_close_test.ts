/**
 * A request the guard or the server refuses while its client is still sending (a body over the
 * size limit, a body too slow, a head too large): the client reads the whole Anthropic-shaped
 * error, because the guard drains what it still sends instead of closing under it (a close with
 * unread bytes, or a write after it, resets the connection and the client's system then drops
 * the unread answer). The draining is bounded: a client that sends on forever is still closed.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { LINGER_MS } from "../../src/server/guarded_connection.ts";
import { MAX_REFUSED_LINGERING } from "../../src/server/connection_guard.ts";
import { readToClose } from "./_sockets.ts";

const encoder = new TextEncoder();
const CHUNK = new Uint8Array(16 * 1024).fill(0x20);

async function withGuardedCcp(
  run: (port: number) => Promise<void>,
  maxConnections = 1024,
): Promise<void> {
  const mock = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("m") }]);
  const base = testConfig({
    providers: [provider("up", { baseUrl: mock.url, apiKeys: ["k-1234567890"] })],
    routes: { default: "up/m" },
    maxBodyBytes: 64 * 1024,
  });
  const config = {
    ...base,
    server: {
      ...base.server,
      clientTimeouts: { headersMs: 5000, bodyMs: 500, idleMs: 5000 },
      maxConnections,
    },
  };
  const server = await startGuardedCcp(config);
  try {
    await run(Number(new URL(server.url).port));
  } finally {
    await server.close();
    await mock.close();
  }
}

const open = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Writes `total` bytes in chunks, stopping at the first write that fails; returns bytes written. */
async function keepWriting(conn: Deno.Conn, total: number): Promise<number> {
  let written = 0;
  try {
    while (written < total) written += await conn.write(CHUNK);
  } catch {
    // Reset or closed: the guard stopped reading.
  }
  return written;
}

/** The status and Anthropic error in an answer's text (throws when it holds none). */
function errorOf(text: string): { status: number; type: string; message: string } {
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
  assert.equal(body.type, "error");
  return { status, type: body.error.type, message: body.error.message };
}

const POST = "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `head`, then writes body bytes (16 KiB every 10 ms) until it has read the whole answer
 * and ccp's side has ended, and on for 100 ms more, as a client sending a large body does
 * without reading. Returns what it read and the first write that failed.
 */
async function sendOnThroughRefusal(
  conn: Deno.Conn,
  head: string,
): Promise<{ text: string; closed: boolean; writeError: unknown }> {
  await conn.write(encoder.encode(head));
  let stop = false;
  let writeError: unknown;
  const writer = (async () => {
    try {
      while (!stop) {
        await conn.write(CHUNK);
        await pause(10);
      }
    } catch (err) {
      writeError = err;
    }
  })();
  const { text, closed } = await readToClose(conn);
  await pause(100);
  stop = true;
  await writer;
  conn.close();
  return { text, closed, writeError };
}

Deno.test("a client still sending after its request was refused reads the whole error, its writes taken", async (t) => {
  await withGuardedCcp(async (port) => {
    for (
      const [name, head, status, pattern] of [
        ["a head over 64 KiB (the guard's own 400)", `${POST}x-big: `, 400, /exceed 64 KiB/],
        [
          "a declared body over the size limit (the server's 413)",
          `${POST}content-length: 40000000\r\n\r\n`,
          413,
          /exceeds the 64 KiB limit/,
        ],
        [
          "a chunked body over the size limit (the server's 413)",
          `${POST}transfer-encoding: chunked\r\n\r\n100000\r\n`,
          413,
          /exceeds the 64 KiB limit/,
        ],
      ] as const
    ) {
      await t.step(name, async () => {
        const { text, closed, writeError } = await sendOnThroughRefusal(
          await open(port),
          head,
        );
        const error = errorOf(text);
        assert.equal(error.status, status);
        assert.match(error.message, pattern);
        assert.ok(closed, "ccp ended its side after the answer");
        // Closed under the client, its next write would be reset (and a client that reads its
        // answer only after sending its body, or whose system drops it on a reset, lose it).
        assert.equal(writeError, undefined, `a write failed: ${writeError}`);
      });
    }
  });
});

Deno.test("a refused client that sends on forever is still closed", async (t) => {
  await withGuardedCcp(async (port) => {
    // Loose bounds against a loaded machine; draining without one would never end.
    const bound = LINGER_MS + 8000;
    await t.step("one that trickles: closed within the time bound", async () => {
      const conn = await open(port);
      await conn.write(encoder.encode(`${POST}content-length: 40000000\r\n\r\n`));
      const trickle = setInterval(() => conn.write(encoder.encode(" ")).catch(() => {}), 50);
      try {
        const { text, closed } = await readToClose(conn, bound);
        assert.equal(errorOf(text).status, 413);
        assert.ok(closed, "closed from ccp's side");
        // Closed, not only ended: the trickle's writes are refused once the drain is over.
        const cut = await new Promise<boolean>((resolve) => {
          const since = performance.now();
          const check = setInterval(async () => {
            const failed = await conn.write(encoder.encode(" ")).then(() => false, () => true);
            if (failed || performance.now() - since > bound) {
              clearInterval(check);
              resolve(failed);
            }
          }, 50);
        });
        assert.ok(cut, "the guard closed the connection within the bound");
      } finally {
        clearInterval(trickle);
        conn.close();
      }
    });

    await t.step("one that floods: closed after the byte bound", async () => {
      const conn = await open(port);
      await conn.write(encoder.encode(`${POST}content-length: 40000000\r\n\r\n`));
      const since = performance.now();
      // Far more than the guard drains: the writes stop being taken long before.
      const cap = 256 * 1024 * 1024;
      const written = await keepWriting(conn, cap);
      conn.close();
      assert.ok(written < cap, `all ${written} bytes were taken`);
      assert.ok(performance.now() - since < bound, "cut within the time bound");
    });
  });
});

Deno.test("a body too slow: its 400 says connection: close, and the connection closes after it", async () => {
  await withGuardedCcp(async (port) => {
    const conn = await open(port);
    // Under the 64 KiB size limit, so it reaches the server, which times it out.
    await conn.write(encoder.encode(`${POST}content-length: 60000\r\n\r\n{`));
    // The client trickles its body, then (as a client that gave up on it would) sends a request
    // where its body's bytes go: kept open, the server would read it with the rest of the body.
    let writeError: unknown;
    const send = (text: string) =>
      conn.write(encoder.encode(text)).catch((err) => writeError = err);
    const trickle = setInterval(() => send(" "), 50);
    try {
      const { text, closed } = await readToClose(conn, 15_000, (t) => {
        if (/^HTTP\/1\.1 400/.test(t) && t.includes("}}")) {
          void send("GET /health HTTP/1.1\r\nhost: x\r\n\r\n");
        }
        return false;
      });
      const error = errorOf(text);
      assert.equal(error.status, 400);
      assert.match(error.message, /did not arrive within 0\.5 s/);
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.ok(closed, "ccp ended the connection after its 400");
      assert.doesNotMatch(text, /HTTP\/1\.1 200/, "the body's bytes were read as a request");
      // Lingering, not closed under the client: its writes are still taken.
      await pause(100);
      assert.equal(writeError, undefined, `a write failed: ${writeError}`);
    } finally {
      clearInterval(trickle);
      conn.close();
    }
  });
});

Deno.test("a connection past max_connections that sent its request reads the whole 503, its writes taken", async () => {
  await withGuardedCcp(async (port) => {
    // The one place, held by a connection that has not finished its head.
    const held = await open(port);
    await held.write(encoder.encode("POST /v1/messages HTTP/1.1\r\n"));
    try {
      const { text, closed, writeError } = await sendOnThroughRefusal(
        await open(port),
        `${POST}content-length: 60000\r\n\r\n`,
      );
      const error = errorOf(text);
      assert.equal(error.status, 503);
      assert.match(error.message, /Too many connections to ccp/);
      assert.ok(closed, "ccp ended its side after the answer");
      assert.equal(writeError, undefined, `a write failed: ${writeError}`);
    } finally {
      held.close();
    }
  }, 1);
});

/**
 * How many of ccp's ends of connections to `port` this process still holds (Linux: `ss`, which
 * names a socket's holder for the user's own processes; the test's permissions do not reach
 * /proc/self/fd).
 */
const HAS_SS = Deno.build.os === "linux" && (() => {
  try {
    return new Deno.Command("ss", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

async function ccpEnds(port: number): Promise<number> {
  const out = await new Deno.Command("ss", {
    args: ["-Htnp", "state", "all", "sport", "=", `:${port}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => !line.startsWith("LISTEN") && line.includes(`pid=${Deno.pid},`)).length;
}

Deno.test({
  name:
    "a flood of connections past max_connections lingers in at most a bounded number of sockets",
  ignore: !HAS_SS,
  fn: async () => {
    await withGuardedCcp(async (port) => {
      const held = await open(port);
      await held.write(encoder.encode("POST /v1/messages HTTP/1.1\r\n"));
      const flood: Deno.Conn[] = [];
      try {
        const heapBefore = Deno.memoryUsage().heapUsed;
        // Each sends a request and then neither reads nor closes: every refused one could linger.
        const FLOOD = 300;
        for (let i = 0; i < FLOOD; i++) {
          const conn = await open(port);
          flood.push(conn);
          await conn.write(encoder.encode(`${POST}content-length: 10\r\n\r\n{"a":1}`));
        }
        let peak = 0;
        const since = performance.now();
        while (performance.now() - since < 500) {
          peak = Math.max(peak, await ccpEnds(port));
          await pause(20);
        }
        // Beside the lingering ones: the held connection's end, one being accepted.
        assert.ok(
          peak <= MAX_REFUSED_LINGERING + 2,
          `ccp held ${peak} connections at once (${MAX_REFUSED_LINGERING} may linger, 1 is let in)`,
        );
        // Memory: what a lingering socket holds is a small buffer, and only so many exist.
        const grown = (Deno.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
        assert.ok(grown < 32, `the heap grew by ${grown.toFixed(1)} MiB`);
        // Every one was answered 503 (or closed at once past the bound): each client end reads the
        // end of ccp's side.
        const reads = await Promise.all(flood.map((conn) => readToClose(conn, LINGER_MS + 8000)));
        assert.ok(reads.every((r) => r.closed), "a refused connection was held open");
        assert.ok(reads.filter((r) => /^HTTP\/1\.1 503/.test(r.text)).length >= 1);
        assert.ok(reads.every((r) => r.text === "" || /^HTTP\/1\.1 503/.test(r.text)));
        // ccp's ends close within the time bound, though no client closed its own.
        const bound = performance.now() + LINGER_MS + 8000;
        while (await ccpEnds(port) > 1 && performance.now() < bound) await pause(50);
        assert.equal(await ccpEnds(port), 1, "refused sockets outlived the linger bound");
      } finally {
        for (const conn of flood) conn.close();
        held.close();
      }
    }, 1);
  },
});
