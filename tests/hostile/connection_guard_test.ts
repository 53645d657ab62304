/**
 * The connection guard in front of the server, on real sockets: a client that hangs up cancels
 * its upstream without asking `ss`, and bytes pass it unchanged — large bodies and answers split
 * however they arrive, header bytes past ASCII, pipelined requests, heads that trickle in — with
 * each connection numbered in the peer key it reports.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import {
  type Guard,
  guardConnections,
  type GuardLimits,
} from "../../src/server/connection_guard.ts";
import { PEER_HEADER } from "../../src/server/guard_head.ts";
import { BODY_TOO_LARGE_HEADER } from "../../src/server/body.ts";
import { DepartureWatcher } from "../../src/server/departures.ts";
import { until } from "../server/_resilience_env.ts";
import { readToClose } from "./_sockets.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("behind the guard, a client that hangs up before the first byte cancels the upstream, without ss", async () => {
  const { startGuardedCcp } = await import("../helpers/ccp.ts");
  const { provider, testConfig } = await import("../helpers/config.ts");
  // An upstream that thinks for ever; it reads raw sockets, so it sees ccp give up on it.
  const up = startFaultMock({ replies: [{ kind: "hang" }] });
  // No `ss` to ask (it fails as a missing command does): only the guard can tell that the
  // client left. Injected rather than emptying PATH, which would hide commands from the tests
  // that run beside this one.
  const departures = new DepartureWatcher({
    list: () => Promise.reject(new Deno.errors.NotFound("ss: command not found")),
  });
  const config = testConfig({
    providers: [provider("up", { baseUrl: up.url, apiKeys: ["k-1234567890"], maxRetries: 0 })],
    routes: { default: "up/m" },
  });
  const server = await startGuardedCcp(config, { departures });
  try {
    // A Claude Code-sized body: Deno's server alone would not notice this client leave.
    const body = JSON.stringify({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "x".repeat(20_000) }],
    });
    const port = Number(new URL(server.url).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode(
      `POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
        `content-type: application/json\r\ncontent-length: ${encoder.encode(body).byteLength}` +
        `\r\n\r\n${body}`,
    ));
    while (up.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    conn.close();
    const since = Date.now();
    while (!up.requests[0]!.aborted && Date.now() - since < 5000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(up.requests[0]!.aborted, "the upstream request was cancelled");
  } finally {
    await server.close();
    await up.close();
  }
});

Deno.test("a large body and a large answer pass the guard byte for byte, split however they arrive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_guard_bytes_" });
  // Text that is not periodic, so a chunk delivered twice or out of place would show.
  let text = "";
  for (let i = 0; text.length < 900_000; i++) text += `${i.toString(36)} ${(i * 7919) % 104729}\n`;
  let received = "";
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      received = (await req.json()).messages[0].content;
      return Response.json({ ...thinkingTextToolMessage("m"), content: [{ type: "text", text }] });
    },
  );
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `providers:\n  up: { type: anthropic, base_url: "http://127.0.0.1:${upstream.addr.port}", api_key: k-1234567890 }\n` +
        "routes:\n  default: up/m\n",
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      // Sent in uneven pieces with pauses, so the guard sees small reads after large ones.
      const body = encoder.encode(JSON.stringify({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: text }],
      }));
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(encoder.encode(
        `POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`,
      ));
      for (let at = 0, step = 1; at < body.byteLength; step = (step * 7) % 70_001 + 1) {
        await conn.write(body.subarray(at, Math.min(body.byteLength, at + step)));
        at += step;
        if (step % 5 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      const chunks: Uint8Array[] = [];
      const buffer = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
      }
      conn.close();
      const answer = decoder.decode(new Uint8Array(chunks.flatMap((c) => [...c])));
      assert.equal(received.length, text.length);
      assert.ok(received === text, "the upstream got the body as sent");
      assert.ok(answer.startsWith("HTTP/1.1 200"), answer.slice(0, 100));
      const json = answer.slice(answer.indexOf("\r\n\r\n") + 4);
      assert.ok(json.includes(JSON.stringify(text)), "the client got the answer as sent");
    } finally {
      await server.stop();
    }
  } finally {
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

/** How a test's guard differs from a roomy one on a plain listener. */
interface GuardSetup {
  /** Limits (and listeners) in place of the roomy defaults. */
  limits?: Partial<GuardLimits>;
  /** Wraps the real listener, so its accept or its connections can fail as a test needs. */
  listener?: (real: Deno.TcpListener) => Deno.TcpListener;
}

/** A guard in front of `handler` on a Unix socket; `run` gets the guard's port and the guard. */
async function withGuard(
  handler: (req: Request) => Response | Promise<Response>,
  run: (port: number, guard: Guard) => Promise<void>,
  setup: GuardSetup = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_guard_" });
  const socket = `${dir}/http.sock`;
  const backend = Deno.serve({ transport: "unix", path: socket, onListen: () => {} }, handler);
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const guard = guardConnections(setup.listener?.(real) ?? real, socket, {
    timeouts: { headersMs: 5000, bodyMs: 5000, idleMs: 5000 },
    maxConnections: 10,
    maxBodyBytes: 1 << 20,
    ...setup.limits,
  });
  try {
    await run(real.addr.port, guard);
  } finally {
    guard.close();
    await backend.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes all of `bytes`, however many writes that takes. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}

/** The bodies of the HTTP/1.1 200 answers in `text`, in order. */
const answersIn = (text: string) =>
  text.split("HTTP/1.1 200").slice(1).map((a) => a.slice(a.indexOf("\r\n\r\n") + 4));

const GET_CLOSE = encoder.encode("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");

/** Sends raw request bytes on a new connection; returns the answer's body. */
async function rawExchange(port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(request);
  const { text } = await readToClose(conn);
  conn.close();
  return text.slice(text.indexOf("\r\n\r\n") + 4);
}

Deno.test("the guard numbers each connection in the peer key it reports, so a reused port is another client", async () => {
  const gone: string[] = [];
  await withGuard(
    (req) => new Response(req.headers.get(PEER_HEADER) ?? ""),
    async (port) => {
      const seen = [await rawExchange(port, GET_CLOSE), await rawExchange(port, GET_CLOSE)];
      await until("both departures", () => gone.length === 2, 5000);
      for (const key of seen) assert.match(key, /^127\.0\.0\.1:\d+#\d+$/);
      assert.notEqual(seen[0]!.split("#")[1], seen[1]!.split("#")[1], "each connection its number");
      assert.deepEqual(gone, seen, "departures are reported by the key the request carried");
    },
    { limits: { onClientGone: (peer) => gone.push(peer) } },
  );
});

Deno.test("header bytes past ASCII pass the guard unchanged", async () => {
  await withGuard(
    // Deno reads header bytes one per character: their codes are the bytes the client sent.
    (req) => Response.json([...(req.headers.get("x-note") ?? "")].map((c) => c.charCodeAt(0))),
    async (port) => {
      const head = encoder.encode("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-note: caf");
      const bytes = [0xc3, 0xa9, 0x80, 0x9f, 0xff];
      const body = await rawExchange(port, Uint8Array.from([...head, ...bytes, 13, 10, 13, 10]));
      assert.deepEqual(JSON.parse(body), [99, 97, 102, ...bytes]);
    },
  );
});

Deno.test("requests sent back to back in one write pass the guard whole, each body with its head", async () => {
  await withGuard(
    async (req) =>
      new Response(`${req.method} ${new URL(req.url).pathname} [${await req.text()}]|`),
    async (port) => {
      const two = "POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nfirst" +
        "POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 6\r\n\r\nsecond" +
        "GET /c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(two));
      const { text } = await readToClose(conn);
      conn.close();
      assert.deepEqual(answersIn(text), ["POST /a [first]|", "POST /b [second]|", "GET /c []|"]);
    },
  );
});

Deno.test("large requests sent back to back in one write pass the guard whole", async () => {
  // Each read that fills the guard's small buffer starts a body it gathers up to 64 KiB before
  // passing on; the next request's bytes must stay for the next read.
  const sizes = [47_000, 5, 70_000, 20_000];
  const bodies = sizes.map((size, n) => String(n).repeat(size));
  await withGuard(
    async (req) => {
      const text = await req.text();
      return new Response(`${new URL(req.url).pathname} ${text === bodies[Number(text[0])]}|`);
    },
    async (port) => {
      const all = bodies.map((body, i) =>
        `POST /r${i} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n` +
        `${i === bodies.length - 1 ? "connection: close\r\n" : ""}\r\n${body}`
      ).join("");
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(conn, encoder.encode(all));
      const { text } = await readToClose(conn);
      conn.close();
      assert.deepEqual(answersIn(text), bodies.map((_, i) => `/r${i} true|`));
    },
  );
});

Deno.test("heads read whole or a byte at a time, and large bodies behind them, pass the guard on one connection", async () => {
  // Not periodic, so bytes delivered twice or out of place would show.
  const bodyOf = (seed: number, size: number) => {
    let text = "";
    for (let i = 0; text.length < size; i++) text += `${seed}:${(i * 7919 + seed) % 104729} `;
    return text.slice(0, size);
  };
  const bodies = [bodyOf(1, 3), bodyOf(2, 100_000), bodyOf(3, 60_000), bodyOf(4, 7)];
  const seen: string[] = [];
  await withGuard(
    async (req) => {
      const text = await req.text();
      seen.push(text);
      return new Response(`${new URL(req.url).pathname} ${text.length}|`);
    },
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const request = (i: number, last: boolean) =>
        encoder.encode(
          `POST /r${i} HTTP/1.1\r\nhost: x\r\ncontent-length: ${bodies[i]!.length}\r\n` +
            `${last ? "connection: close\r\n" : ""}\r\n${bodies[i]}`,
        );
      // The first head trickles in a byte at a time (collected across reads) ...
      const first = request(0, false);
      for (let i = 0; i < first.byteLength; i++) await conn.write(first.subarray(i, i + 1));
      // ... the next ones come whole with their large bodies, after the read buffer has grown.
      for (let i = 1; i < bodies.length; i++) {
        await writeAll(conn, request(i, i === bodies.length - 1));
      }
      const { text } = await readToClose(conn);
      conn.close();
      assert.deepEqual(answersIn(text), bodies.map((b, i) => `/r${i} ${b.length}|`));
      assert.ok(
        seen.every((text, i) => text === bodies[i]),
        "each body reached the server as sent",
      );
    },
  );
});

Deno.test("a connection whose declared body is over the limit (413) gives its place back", async () => {
  // The guard passes on the head alone, marked; the server answers the 413 (as readJsonBody does).
  const handler = async (req: Request) =>
    req.headers.has(BODY_TOO_LARGE_HEADER)
      ? new Response("too large", { status: 413 })
      : new Response(await req.text());
  await withGuard(handler, async (port, guard) => {
    const tooLarge = encoder.encode("POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n");
    for (let i = 0; i < 3; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(tooLarge);
      const { text } = await readToClose(conn);
      conn.close();
      assert.match(text, /^HTTP\/1\.1 413 /, `connection ${i + 1}: ${text.slice(0, 80)}`);
    }
    // One refused after an answered request on the same connection (the server holds it open).
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok"));
    await conn.write(tooLarge);
    const { text } = await readToClose(conn);
    conn.close();
    assert.match(text, /HTTP\/1\.1 413 /);
    await until("every place to be given back", () => guard.open === 0, 2000);
  }, {
    limits: {
      timeouts: { headersMs: 5000, bodyMs: 5000, idleMs: 60_000 },
      maxConnections: 2,
      maxBodyBytes: 100,
    },
  });
});

Deno.test("a connection that fails as it is accepted (reset by its client, no descriptor left) does not stop the guard accepting", async () => {
  // What Deno's accept throws for a client that reset its connection before it was taken (its
  // address can no longer be read), then for a process out of file descriptors.
  const failures: Error[] = [
    new Deno.errors.NotConnected("Transport endpoint is not connected (os error 107)"),
    new Error("Too many open files (os error 24)"),
  ];
  const failing = (real: Deno.TcpListener) =>
    Object.create(real, {
      accept: {
        value: () => {
          const failure = failures.shift();
          return failure ? Promise.reject(failure) : real.accept();
        },
      },
    }) as Deno.TcpListener;
  await withGuard(() => new Response("served"), async (port) => {
    assert.equal(await rawExchange(port, GET_CLOSE), "served");
    assert.equal(failures.length, 0);
  }, { listener: failing });
});

// A client that resets its connection at once, as a load balancer's TCP health check may
// (SO_LINGER 0): Deno itself cannot send a reset, so python3 does, where it is installed.
const hasPython = (() => {
  try {
    return new Deno.Command("python3", { args: ["-c", ""] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "behind the guard, ccp keeps serving after clients that reset their connection at once",
  ignore: !hasPython,
  fn: async () => {
    const { startGuardedCcp } = await import("../helpers/ccp.ts");
    const { provider, testConfig } = await import("../helpers/config.ts");
    const server = await startGuardedCcp(testConfig({ providers: [provider("up")] }));
    try {
      const port = new URL(server.url).port;
      const reset = await new Deno.Command("python3", {
        args: [
          "-c",
          "import socket, struct\n" +
          "for _ in range(5):\n" +
          "  s = socket.socket()\n" +
          "  s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n" +
          `  s.connect(('127.0.0.1', ${port}))\n` +
          "  s.close()\n",
        ],
      }).output();
      assert.ok(reset.success, decoder.decode(reset.stderr));
      // Bounded only against a hang: a loaded machine may take seconds to answer.
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(30_000) });
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, "ok");
    } finally {
      await server.close();
    }
  },
});

Deno.test("a connection whose socket options cannot be set (reset already, on macOS) is still served, and nothing rejects unhandled", async () => {
  // macOS answers EINVAL to setting TCP_NODELAY on a connection its client has reset.
  const noDelayFails = (real: Deno.TcpListener) =>
    Object.create(real, {
      accept: {
        value: async () =>
          new Proxy(await real.accept(), {
            get(conn, name) {
              if (name === "setNoDelay") {
                return () => {
                  throw new Error("Invalid argument (os error 22)");
                };
              }
              const value = Reflect.get(conn, name, conn);
              return typeof value === "function" ? value.bind(conn) : value;
            },
          }),
      },
    }) as Deno.TcpListener;
  await withGuard(() => new Response("served"), async (port, guard) => {
    assert.equal(await rawExchange(port, GET_CLOSE), "served");
    await until("the connection's place to be given back", () => guard.open === 0, 2000);
  }, { listener: noDelayFails });
});

Deno.test("the guard's own 400 and 503 answers have their request-id named in the log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_guard_refusal_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      "server: { max_connections: 1 }\n" +
        "providers:\n  up: { type: anthropic, base_url: http://127.0.0.1:9, api_key: k-1234567890 }\n" +
        "routes:\n  default: up/m\n",
    );
    const ctx = testContext(dir);
    // At debug level, each refusal within the minute after a logged one has a line of its own.
    const server = await startServer({
      ctx,
      flags: { config: "c.yaml", port: 0, logLevel: "debug" },
    });
    const answerOf = async (conn: Deno.Conn, request?: string) => {
      if (request !== undefined) await conn.write(encoder.encode(request));
      const { text } = await readToClose(conn);
      conn.close();
      return { text, id: /\r\nrequest-id: (\S+)\r\n/.exec(text)?.[1] };
    };
    try {
      // A head with a bare LF: the guard answers 400 itself.
      const bad = await answerOf(
        await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        "GET /health HTTP/1.1\nhost: x\r\n\r\n",
      );
      assert.ok(bad.text.startsWith("HTTP/1.1 400"), bad.text.slice(0, 80));
      assert.ok(bad.id, "the 400 has a request-id");
      // The one connection allowed is held open: the next is answered 503. The 400's connection
      // keeps its place until its client's close reaches the guard (it lingers till then): a
      // connection answered nothing at once holds the place.
      let held: Deno.Conn | undefined;
      await until("the place given back", async () => {
        held = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        if ((await readToClose(held, 200)).text === "") return true;
        held.close();
        return false;
      }, 5000);
      await until("the held connection counted", async () => {
        const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        const busy = await answerOf(extra);
        if (!busy.text.startsWith("HTTP/1.1 503")) return false;
        assert.ok(busy.id, "the 503 has a request-id");
        await until("its log line", () => ctx.io.stderr.join("").includes(busy.id!), 2000);
        return true;
      }, 5000);
      held!.close();
      const log = ctx.io.stderr.join("");
      assert.match(
        log,
        new RegExp(
          `Refused a request from 127\\.0\\.0\\.1:\\d+ with 400: [^\\n]*LF[^\\n]*; request ${bad.id}`,
        ),
      );
      assert.match(log, /with 503: Too many connections to ccp \(request req_\w+\)/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
