/** Request bodies: UTF-8 read exactly, a byte-order mark skipped, invalid bytes as U+FFFD. */

import assert from "node:assert/strict";
import { readJsonBody } from "../../src/server/body.ts";
import { ByteCollector } from "../../src/core/byte_collector.ts";
import { concatBytes } from "../helpers/bytes.ts";

const post = (bytes: Uint8Array<ArrayBuffer>) =>
  new Request("http://ccp/v1/messages", { method: "POST", body: bytes });

Deno.test("a valid UTF-8 body is read exactly, a leading byte-order mark skipped", async () => {
  const text = JSON.stringify({ messages: [{ role: "user", content: "héllo ✓ 𝄞 — 日本" }] });
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual(await readJsonBody(post(bytes), 1 << 20), JSON.parse(text));
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.deepEqual(await readJsonBody(post(withBom), 1 << 20), JSON.parse(text));
});

Deno.test("a body with bytes that are not UTF-8 is still read, those bytes as U+FFFD", async () => {
  const head = new TextEncoder().encode('{"content":"a');
  const tail = new TextEncoder().encode('b"}');
  const bytes = new Uint8Array([...head, 0xff, 0xc3, ...tail]);
  assert.deepEqual(await readJsonBody(post(bytes), 1 << 20), { content: "a\uFFFD\uFFFDb" });
});

Deno.test("a body in many chunks of every size is joined in order", async () => {
  const sizes = [3, 1, 1, 5000, 2, 4096, 4095, 1, 20000, 7];
  const chunks = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
  const collector = new ByteCollector();
  for (const chunk of chunks) collector.add(chunk);
  const expected = concatBytes(chunks);
  assert.equal(collector.size, expected.byteLength);
  assert.deepEqual(collector.withBytes((bytes) => bytes.slice()), expected);

  // One byte at a time (a trickling client): the same bytes, packed into shared blocks.
  const trickled = new ByteCollector();
  for (const byte of expected) trickled.add(new Uint8Array([byte]));
  assert.deepEqual(trickled.withBytes((bytes) => bytes.slice()), expected);

  // Through readJsonBody, from a stream that hands the JSON over in pieces.
  const text = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(30000) }] });
  const bytes = new TextEncoder().encode(text);
  const cuts = [0, 1, 2, 9000, 9001, 20000, bytes.byteLength];
  const body = ReadableStream.from(cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end)));
  const request = new Request("http://ccp/v1/messages", { method: "POST", body });
  assert.deepEqual(await readJsonBody(request, 1 << 20), JSON.parse(text));
});

Deno.test("a body that comes in one chunk is handed on without a copy", () => {
  const chunk = new Uint8Array(100).fill(7);
  const collector = new ByteCollector();
  collector.add(chunk);
  collector.withBytes((bytes) => assert.equal(bytes, chunk));
});

Deno.test("small views of large buffers are copied, so a body holds about what it sent", () => {
  // Deno hands request chunks out as slices of 64 KiB buffers: keeping a 4 KiB slice kept 64 KiB.
  const slice = (n: number, fill: number) => new Uint8Array(64 * 1024).fill(fill).subarray(0, n);
  const collector = new ByteCollector();
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    // 4 KiB pieces, 1-byte pieces between them, and now and then a full buffer (kept as it is).
    const chunk = i % 3 === 0
      ? slice(4096, i)
      : i % 3 === 1
      ? slice(1, i)
      : i % 20 === 2
      ? new Uint8Array(65536).fill(i)
      : slice(2000, i);
    chunks.push(chunk);
    collector.add(chunk);
  }
  assert.deepEqual(collector.withBytes((bytes) => bytes.slice()), concatBytes(chunks));
  assert.ok(
    collector.held <= 2 * collector.size + 64 * 1024,
    `held ${collector.held} bytes for a body of ${collector.size}`,
  );
});

/**
 * A byte stream like the body of a request to Deno's server: it fills the buffers a reader
 * offers (`offered` records their sizes), or gives plain readers chunks of up to 64 KiB.
 */
function servedBody(bytes: Uint8Array, offered: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest;
      if (!request?.view) {
        offered.push(0);
        if (at === bytes.byteLength) return controller.close();
        const end = Math.min(bytes.byteLength, at + 64 * 1024);
        controller.enqueue(bytes.slice(at, end));
        at = end;
        return;
      }
      const view = request.view;
      offered.push(view.byteLength);
      if (at === bytes.byteLength) {
        controller.close();
        return request.respond(0);
      }
      const n = Math.min(view.byteLength, bytes.byteLength - at);
      new Uint8Array(view.buffer, view.byteOffset, n).set(bytes.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  });
}

Deno.test("a 47 KB body is read into a buffer of its size, and its end into one byte", async () => {
  const text = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(47_000) }] });
  const bytes = new TextEncoder().encode(text);
  const offered: number[] = [];
  const request = new Request("http://ccp/v1/messages", {
    method: "POST",
    body: servedBody(bytes, offered),
    headers: { "content-length": String(bytes.byteLength) },
  });
  assert.deepEqual(await readJsonBody(request, 1 << 20), JSON.parse(text));
  // A plain read puts such a body into a fresh 64 KiB buffer, on every Claude Code turn; the
  // buffer of the read that finds the end stays on the request while its answer streams.
  assert.deepEqual(offered, [bytes.byteLength, 1]);
});

Deno.test("a body shorter than declared is refused, read exactly or plainly", async () => {
  for (const size of [30_000, 100_000]) {
    const bytes = new TextEncoder().encode(JSON.stringify({ pad: "x".repeat(size) }));
    const request = new Request("http://ccp/v1/messages", {
      method: "POST",
      body: servedBody(bytes.subarray(0, 20_000), []),
      headers: { "content-length": String(bytes.byteLength) },
    });
    await assert.rejects(
      readJsonBody(request, 1 << 20),
      new RegExp(`ended after 20000 bytes, before the ${bytes.byteLength} bytes`),
    );
  }
});
