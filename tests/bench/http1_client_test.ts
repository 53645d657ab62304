/**
 * The benchmark's HTTP/1.1 client: head and body in one write (as Claude Code sends them), one
 * kept-alive connection, Content-Length and chunked answers read to their end.
 */

import assert from "node:assert/strict";
import { Http1Connection } from "../../bench/http1_client.ts";

const decoder = new TextDecoder();
const collect = () => {
  const chunks: string[] = [];
  return { chunks, onChunk: (bytes: Uint8Array) => chunks.push(decoder.decode(bytes)) };
};

Deno.test("answers of both framings on one kept-alive connection, with the request's body intact", async () => {
  const peers = new Set<string>();
  const bodies: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req, info) => {
      peers.add(`${info.remoteAddr.hostname}:${info.remoteAddr.port}`);
      bodies.push(await req.text());
      if (new URL(req.url).searchParams.has("fail")) return new Response("nope", { status: 418 });
      if (!new URL(req.url).searchParams.has("stream")) {
        return new Response(
          `plain ${req.headers.get("x-n")}`,
        );
      }
      let i = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await new Promise((r) => setTimeout(r, 5));
            if (i === 3) return controller.close();
            controller.enqueue(new TextEncoder().encode(`event ${i++}\n`));
          },
        }),
      );
    },
  );
  const signal = AbortSignal.timeout(5000);
  const base = `http://127.0.0.1:${server.addr.port}/v1/messages`;
  try {
    const plain = new Http1Connection(new URL(base));
    const big = "é".repeat(70_000);
    const a = collect();
    assert.equal((await plain.post({ "x-n": "1" }, big, a.onChunk, signal)).status, 200);
    assert.equal(a.chunks.join(""), "plain 1");
    const b = collect();
    assert.equal((await plain.post({ "x-n": "2" }, "{}", b.onChunk, signal)).status, 200);
    assert.equal(b.chunks.join(""), "plain 2");
    plain.close();
    assert.deepEqual(bodies, [big, "{}"]);
    assert.equal(peers.size, 1, "both requests went on one connection");

    const streamed = new Http1Connection(new URL(`${base}?stream`));
    const c = collect();
    assert.equal((await streamed.post({}, "{}", c.onChunk, signal)).status, 200);
    assert.deepEqual(c.chunks, ["event 0\n", "event 1\n", "event 2\n"]);
    const d = collect();
    assert.equal((await streamed.post({}, "{}", d.onChunk, signal)).status, 200);
    assert.equal(d.chunks.length, 3);
    streamed.close();

    const failing = new Http1Connection(new URL(`${base}?fail`));
    const e = collect();
    const refused = await failing.post({}, "{}", e.onChunk, signal);
    assert.equal(refused.status, 418);
    assert.equal(refused.headers.get("content-type"), "text/plain;charset=UTF-8");
    assert.equal(e.chunks.join(""), "nope");
    failing.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("the head and the body reach the server in one read", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const body = "x".repeat(30_000);
  const firstRead = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(1 << 20);
    // Loopback delivers one write whole; give it a moment to land entirely.
    await new Promise((r) => setTimeout(r, 50));
    const n = await conn.read(buffer);
    await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    conn.close();
    return decoder.decode(buffer.subarray(0, n ?? 0));
  })();
  const client = new Http1Connection(new URL(`http://127.0.0.1:${listener.addr.port}/v1/messages`));
  const got = collect();
  const answer = await client.post({ "x-a": "b" }, body, got.onChunk, AbortSignal.timeout(5000));
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("content-length"), "2");
  client.close();
  listener.close();
  const read = await firstRead;
  assert.ok(read.startsWith("POST /v1/messages HTTP/1.1\r\n"), read.slice(0, 60));
  assert.ok(read.endsWith(`\r\n\r\n${body}`), "the whole body came in the head's read");
  assert.equal(got.chunks.join(""), "ok");
});
