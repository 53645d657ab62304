/**
 * What a hostile or careless client can do to the server itself, replayed against the real
 * `ccp serve` (in-process, behind its connection guard) on 127.0.0.1 with short limits: slow or
 * partial heads and bodies, too many connections, oversized bodies and answers, and answers
 * slower than the limits that must still arrive. The guard's byte handling is in
 * connection_guard_test.ts.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import {
  encodeEvents,
  openingMessage,
  thinkingTextToolMessage,
} from "../mocks/anthropic_fixtures.ts";
import { readToClose } from "./_sockets.ts";
import { until } from "../server/_resilience_env.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const encoder = new TextEncoder();

async function withServer(
  yaml: string,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_hostile_" });
  const mock = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("m") }]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `${yaml}providers:\n  up: { type: anthropic, base_url: ${mock.url}, api_key: k-1234567890 }\n` +
        "routes:\n  default: up/m\n",
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      await run(server.port);
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const LIMITS = "server:\n  timeouts: { headers: 300ms, body: 500ms, idle: 600ms }\n" +
  "  max_connections: 20\n  max_body_size: 1MiB\n";

function errorOf(text: string): { status: number; type: string; message: string } {
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n/, ""));
  return { status, type: body.error.type, message: body.error.message };
}

const open = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

Deno.test("hostile clients against the server's own limits", async (t) => {
  await withServer(LIMITS, async (port) => {
    await t.step("partial headers: closed after the header timeout", async () => {
      const conn = await open(port);
      await conn.write(encoder.encode("POST /v1/messages HTTP/1.1\r\nhost: x\r\n"));
      // Closed at all: how soon after the 0.3 s is the machine's load as much as the server's.
      const { closed } = await readToClose(conn);
      assert.ok(closed, "the connection was closed");
      conn.close();
    });
    await t.step(
      "a connection that never sends anything: closed after the header timeout",
      async () => {
        const conn = await open(port);
        assert.ok((await readToClose(conn)).closed);
        conn.close();
      },
    );
    await t.step("an idle keep-alive connection: closed after the idle timeout", async () => {
      const conn = await open(port);
      await conn.write(encoder.encode("GET /health HTTP/1.1\r\nhost: x\r\n\r\n"));
      const { text, closed } = await readToClose(conn);
      assert.match(text, /^HTTP\/1\.1 200/);
      assert.ok(closed, "closed once idle");
      conn.close();
    });
    // A body of 16-64 KiB is read into one buffer of its size, others in plain reads.
    for (const size of [100_000, 30_000]) {
      await t.step(
        `a trickled ${size}-byte body: 400 after the body timeout, never a 500`,
        async () => {
          const conn = await open(port);
          await conn.write(encoder.encode(
            "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
              `content-length: ${size}\r\n\r\n{`,
          ));
          const trickle = setInterval(() => conn.write(encoder.encode(" ")).catch(() => {}), 50);
          // The client still trickling, ccp ends the connection after its 400 (and lingers).
          const { text, closed } = await readToClose(conn);
          clearInterval(trickle);
          const error = errorOf(text);
          assert.equal(error.status, 400);
          assert.match(error.message, /did not arrive within 0.5 s/);
          assert.ok(closed, "closed after its 400");
          conn.close();
        },
      );
    }
    await t.step("a body cut short: 400 naming what arrived", async () => {
      const conn = await open(port);
      await conn.write(encoder.encode(
        'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{"model"',
      ));
      await conn.closeWrite();
      const error = errorOf((await readToClose(conn)).text);
      assert.equal(error.status, 400);
      assert.equal(error.type, "invalid_request_error");
      assert.match(
        error.message,
        /ended after \d+ bytes, before the 1000 bytes the request declared/,
      );
      conn.close();
    });
    for (
      const [name, head, status, pattern] of [
        ["a Content-Length that is not a number", "content-length: 12abc\r\n", 400, /not a number/],
        [
          "Content-Length with Transfer-Encoding",
          "content-length: 5\r\ntransfer-encoding: chunked\r\n",
          400,
          /together/,
        ],
        ["a 100 KB header", `x-big: ${"a".repeat(100_000)}\r\n`, 400, /exceed 64 KiB/],
        ["a declared 40 MB body", "content-length: 40000000\r\n", 413, /exceeds the 1 MiB limit/],
      ] as const
    ) {
      await t.step(
        `${name}: an Anthropic-shaped ${status}, then the connection closes`,
        async () => {
          const conn = await open(port);
          await conn.write(encoder.encode(`POST /v1/messages HTTP/1.1\r\nhost: x\r\n${head}\r\n`))
            .catch(() => {});
          const { text, closed } = await readToClose(conn);
          const error = errorOf(text);
          assert.equal(error.status, status);
          assert.match(error.message, pattern);
          // Every answer to POST /v1/messages names its route: none was chosen yet.
          assert.match(text, /\r\nx-ccp-route: none\r\n/i);
          // Whoever answers (the guard or the app), the answer has an id in the app's format.
          assert.match(text, /\r\nrequest-id: req_[0-9A-Za-z]{24}\r\n/i);
          assert.ok(closed);
          conn.close();
        },
      );
    }
    await t.step(
      "every route works under the URL prefix; a spoofed peer header is dropped",
      async () => {
        const hello = await fetch(`http://127.0.0.1:${port}/up:m/api/hello`, { method: "HEAD" });
        assert.equal(hello.status, 200);
        const health = await fetch(`http://127.0.0.1:${port}/up:m/health`);
        assert.equal(health.status, 200);
        await health.body?.cancel();
        const res = await fetch(`http://127.0.0.1:${port}/up:m/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-ccp-peer": "10.0.0.1:1" },
          body: JSON.stringify({
            model: "x",
            max_tokens: 10,
            messages: [{ role: "user", content: "hi" }],
          }),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-ccp-route"), "url_prefix");
        await res.body?.cancel();
      },
    );
  });
});

Deno.test("connections past max_connections are refused at once; the server stays up", async () => {
  // Limits no wait here comes near: the connections let in stay open however slowly a loaded
  // machine runs the test, so the refused ones are exactly those past the twenty.
  const limits = "server:\n  timeouts: { headers: 60s, idle: 60s }\n  max_connections: 20\n";
  await withServer(limits, async (port) => {
    const conns = await Promise.all(Array.from({ length: 40 }, () => open(port)));
    // Which twenty are let in is the order the server accepts them in, not the order opened: a
    // refused one is answered and closed unasked, one let in waits for its request.
    const ended = new Map<Deno.Conn, { text: string; closed: boolean }>();
    const reads = conns.map((conn) =>
      readToClose(conn, 30_000).then((read) => (ended.set(conn, read), read))
    );
    await until("twenty connections refused", () => ended.size >= 20, 30_000);
    const refused = [...ended.values()];
    assert.ok(
      refused.every((r) => r.closed && /^HTTP\/1\.1 503/.test(r.text)),
      "refused with 503",
    );
    // A 503 is an api_error in Anthropic's table (overloaded_error goes with 529).
    assert.deepEqual(new Set(refused.map((r) => errorOf(r.text).type)), new Set(["api_error"]));
    assert.ok(refused.every((r) => /\r\nrequest-id: req_[0-9A-Za-z]{24}\r\n/i.test(r.text)));
    // The twenty let in are served; a twenty-first refusal would show here as a 503.
    const ask = "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    const held = conns.filter((conn) => !ended.has(conn));
    await Promise.all(held.map((conn) => conn.write(encoder.encode(ask)).catch(() => {})));
    const statuses = (await Promise.all(reads)).map((r) => /^HTTP\/1\.1 (\d+)/.exec(r.text)?.[1]);
    assert.deepEqual(statuses.filter((s) => s === "503").length, 20, statuses.join(" "));
    assert.deepEqual(statuses.filter((s) => s === "200").length, 20, statuses.join(" "));
    for (const c of conns) c.close();
    // Each place is given back once the server sees its connection end.
    await until("a connection let in again", async () => {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      await health.body?.cancel();
      return health.status === 200;
    }, 30_000);
  });
});

Deno.test("a huge non-streaming upstream answer is cut off at max_response_size with a clear 502", async (t) => {
  let sent = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    // 200 MB of JSON, produced as it is read: ccp must stop reading, not buffer it all.
    const piece = encoder.encode(`"${"x".repeat(65_534)}",`);
    let first = true;
    return new Response(
      new ReadableStream({
        pull(c) {
          if (sent > 200 * 1024 * 1024) return c.close();
          if (first) c.enqueue(encoder.encode('{"content":['));
          first = false;
          c.enqueue(piece);
          sent += piece.byteLength;
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  const base = testConfig({
    providers: [
      provider("up", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
        authHeader: "bearer",
      }),
      provider("an", { baseUrl: `http://127.0.0.1:${server.addr.port}` }),
    ],
    routes: { default: "up/m", haiku: "an/m" },
  });
  const ccp = startCcp({ ...base, server: { ...base.server, maxResponseBytes: 1024 * 1024 } });
  try {
    for (const model of ["claude-sonnet-4-5", "claude-haiku-4-5"]) {
      await t.step(model.includes("haiku") ? "Anthropic path" : "OpenAI path", async () => {
        sent = 0;
        const res = await postMessages(ccp.url, {
          model,
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        });
        assert.equal(res.status, 502);
        const body = await res.json();
        assert.equal(body.error.type, "api_error");
        assert.match(body.error.message, /larger than 1 MiB.*max_response_size/);
        assert.ok(sent < 20 * 1024 * 1024, `ccp stopped reading early (${sent} bytes sent)`);
      });
    }
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("a stream: false request whose upstream streams without end is cut at max_response_size", async (t) => {
  let sent = 0;
  const frame = (event: string, data: Record<string, unknown>) =>
    encoder.encode(encodeEvents([{ event, data }]));
  const delta = frame("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "x".repeat(8000) },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    // Well-formed text deltas, 200 MB of them: a collected answer must stop, not hold them all.
    let started = false;
    return new Response(
      new ReadableStream({
        pull(c) {
          if (sent > 200 * 1024 * 1024) return c.close();
          if (!started) {
            started = true;
            c.enqueue(frame("message_start", {
              type: "message_start",
              message: openingMessage("msg_1", "m", { input_tokens: 1, output_tokens: 1 }),
            }));
            c.enqueue(frame("content_block_start", {
              type: "content_block_start",
              index: 0,
              content_block: { type: "text", text: "" },
            }));
          }
          for (let i = 0; i < 8; i++) c.enqueue(delta);
          sent += 8 * delta.byteLength;
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  const base = testConfig({
    providers: [provider("an", { baseUrl: `http://127.0.0.1:${server.addr.port}` })],
    routes: { default: "an/m" },
  });
  const ccp = startCcp({ ...base, server: { ...base.server, maxResponseBytes: 1024 * 1024 } });
  try {
    await t.step("collected, it is a 502 naming the limit", async () => {
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        stream: false,
        messages: [{ role: "user", content: "hi" }],
      });
      const body = await res.json();
      assert.equal(res.status, 502, JSON.stringify(body));
      assert.equal(body.error.type, "api_error");
      assert.match(body.error.message, /larger than 1 MiB.*max_response_size/);
      assert.ok(sent < 20 * 1024 * 1024, `ccp stopped reading early (${sent} bytes sent)`);
    });
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

/** A ccp with LIMITS in front of an upstream that answers 1.2 s late, past the head and idle limits. */
async function withSlowUpstream(
  prefix: string,
  run: (server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      await new Promise((r) => setTimeout(r, 1200));
      return Response.json(thinkingTextToolMessage("m"));
    },
  );
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `${LIMITS}providers:\n  up: { type: anthropic, base_url: "http://127.0.0.1:${upstream.addr.port}", api_key: k-1234567890 }\n` +
        "routes:\n  default: up/m\n",
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      await run(server);
    } finally {
      await server.stop();
    }
  } finally {
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

const HI = JSON.stringify({
  model: "m",
  max_tokens: 10,
  messages: [{ role: "user", content: "hi" }],
});

Deno.test("an answer slower than the header and idle limits still reaches the client", async () => {
  await withSlowUpstream("ccp_slow_answer_", async (server) => {
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: HI,
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).type, "message");
  });
});

Deno.test("a chunked request behind the guard: its answer closes the connection, and a slow upstream is not cut", async () => {
  await withSlowUpstream("ccp_guard_chunked_", async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(encoder.encode(
      "POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        "transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n",
    ));
    const half = HI.length >> 1;
    for (const part of [HI.slice(0, half), HI.slice(half)]) {
      await conn.write(encoder.encode(`${part.length.toString(16)}\r\n${part}\r\n`));
    }
    await conn.write(encoder.encode("0\r\n\r\n"));
    const { text, closed } = await readToClose(conn, 4000);
    conn.close();
    assert.ok(text.startsWith("HTTP/1.1 200"), text.slice(0, 120));
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.ok(text.includes('"type":"message"'), "the whole answer arrived");
    assert.ok(closed, "the server closed the connection after the answer");
  });
});
