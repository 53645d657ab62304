/** Both forms of HTTP's deflate coding, told apart by their first bytes however they arrive. */

import assert from "node:assert/strict";
import { inflate, isZlib } from "../../src/server/inflate.ts";

const text = JSON.stringify({
  model: "m",
  messages: [{ role: "user", content: "hi ".repeat(99) }],
});

async function packed(format: CompressionFormat): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `bytes` as a stream of chunks of `size` bytes. */
function chunked(
  bytes: Uint8Array<ArrayBuffer>,
  size: number,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
}

Deno.test("inflate: zlib and bare deflate alike, in chunks of any size", async () => {
  for (const format of ["deflate", "deflate-raw"] as const) {
    const bytes = await packed(format);
    assert.equal(isZlib(bytes), format === "deflate", format);
    for (const size of [1, 2, 3, bytes.length]) {
      const decoded = await new Response(inflate(chunked(bytes, size))).text();
      assert.equal(decoded, text, `${format} in chunks of ${size}`);
    }
  }
});

Deno.test("inflate: bytes that are neither form fail the read; nothing is nothing", async () => {
  const junk = new TextEncoder().encode("\xff\xff not deflate");
  await assert.rejects(new Response(inflate(chunked(junk, 4))).text(), /corrupt/);
  assert.equal(await new Response(inflate(chunked(new Uint8Array(0), 4))).text(), "");
});

Deno.test("inflate: a cancel while the first bytes are awaited reaches the body", async () => {
  let cancelled: unknown;
  const silent = new ReadableStream<Uint8Array<ArrayBuffer>>({
    cancel(reason) {
      cancelled = reason;
    },
  });
  const reader = inflate(silent).getReader();
  const read = reader.read();
  await reader.cancel("body timeout");
  assert.deepEqual(await read, { done: true, value: undefined });
  assert.equal(cancelled, "body timeout");
});

Deno.test("isZlib: the header's method nibble and its check by 31", () => {
  assert.equal(isZlib(Uint8Array.of(0x78, 0x9c)), true);
  assert.equal(isZlib(Uint8Array.of(0x78, 0x01)), true);
  assert.equal(isZlib(Uint8Array.of(0x78, 0x9d)), false, "check fails");
  assert.equal(isZlib(Uint8Array.of(0x79, 0x9c)), false, "not deflate");
  assert.equal(isZlib(Uint8Array.of(0x78)), false, "too short");
});
