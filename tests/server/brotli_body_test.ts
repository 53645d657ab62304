/**
 * Brotli request bodies decode about as fast as gzip ones, while a Brotli bomb still reaches the
 * size check one small buffer at a time; a body that is not whole Brotli is a 400 naming it.
 */

import assert from "node:assert/strict";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { ClientRequestError } from "../../src/core/errors.ts";
import { readJsonBody } from "../../src/server/body.ts";
import { BROTLI_OUTPUT_BYTES } from "../../src/server/brotli.ts";
import { decompress } from "../../src/server/inflate.ts";

/** `bytes` as one chunk, as a small body arrives. */
function oneChunk(bytes: Uint8Array): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

/** `bytes` a byte at a time. */
function byteByByte(bytes: Uint8Array): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream({
    start(controller) {
      for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
      controller.close();
    },
  });
}

const brotli = (bytes: Uint8Array, quality = 4) =>
  new Uint8Array(
    brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: quality } }),
  );

/** A body as an image makes it: 1.5 MB of random bytes in base64, which compresses little. */
function imageBody(): Uint8Array {
  const raw = new Uint8Array(1_125_000);
  for (let at = 0; at < raw.length; at += 65536) {
    crypto.getRandomValues(raw.subarray(at, at + 65536));
  }
  let data = "";
  for (let at = 0; at < raw.length; at += 30_000) {
    data += btoa(String.fromCharCode(...raw.subarray(at, at + 30_000)));
  }
  return new TextEncoder().encode(JSON.stringify({ model: "m", data }));
}

/** Decodes `packed` whole: the bytes out and the largest piece. */
async function decode(
  packed: ReadableStream<Uint8Array<ArrayBuffer>>,
  format: CompressionFormat,
): Promise<{ total: number; largest: number }> {
  let total = 0;
  let largest = 0;
  for await (const piece of decompress(packed, format)) {
    total += piece.byteLength;
    largest = Math.max(largest, piece.byteLength);
  }
  return { total, largest };
}

/** The fastest of `runs` decodes of `packed`, in ms. */
async function fastest(packed: Uint8Array, format: CompressionFormat, runs = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await decode(oneChunk(packed), format);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

Deno.test("a Brotli body decodes about as fast as the same body in gzip", async () => {
  const body = imageBody();
  const br = brotli(body);
  const gz = new Uint8Array(gzipSync(body));
  assert.equal((await decode(oneChunk(br), "brotli")).total, body.length);
  const gzipMs = await fastest(gz, "gzip");
  const brotliMs = await fastest(br, "brotli");
  // Fed 16 bytes at a time it was 30-120 times slower (0.5 s for this 1.5 MB body).
  assert.ok(
    brotliMs < Math.max(5 * gzipMs, 50),
    `Brotli ${brotliMs.toFixed(1)} ms, gzip ${gzipMs.toFixed(1)} ms`,
  );
});

Deno.test("a Brotli bomb reaches the reader one small buffer at a time", async () => {
  const held = 32 * 1024 * 1024;
  const bomb = brotli(new Uint8Array(held));
  assert.ok(bomb.length < 1024, `${bomb.length} bytes hold 32 MiB`);
  const { total, largest } = await decode(oneChunk(bomb), "brotli");
  assert.equal(total, held);
  assert.ok(largest <= BROTLI_OUTPUT_BYTES, `a piece of ${largest} bytes`);

  // A reader that stops at its limit stops the decoder: nothing is decoded ahead of it.
  const reader = decompress(oneChunk(bomb), "brotli").getReader();
  let read = 0;
  while (read < 1024 * 1024) read += (await reader.read()).value!.byteLength;
  await reader.cancel("too large");
  assert.ok(read < 2 * 1024 * 1024, `${read} bytes read before the limit`);
});

Deno.test("Brotli bodies through the reader: whole, a byte at a time, cut short, not Brotli", async () => {
  const json = new TextEncoder().encode(JSON.stringify({ model: "m", text: "x".repeat(200_000) }));
  const request = (body: BodyInit) =>
    new Request("http://ccp.test/v1/messages", {
      method: "POST",
      headers: { "content-encoding": "br", "content-type": "application/json" },
      body,
    });
  const options = { maxBytes: 1024 * 1024, timeoutMs: 10_000 };
  const packed = brotli(json);
  const whole = await readJsonBody(request(packed.slice()), options);
  assert.equal((whole as { text: string }).text.length, 200_000);
  const trickled = await readJsonBody(request(byteByByte(packed)), options);
  assert.deepEqual(trickled, whole);
  // Cut short, it gives what it held: a 400 for the JSON left unfinished.
  await assert.rejects(
    readJsonBody(request(packed.slice(0, packed.length - 3)), options),
    (err: Error) => err instanceof ClientRequestError && err.status === 400,
  );
  await assert.rejects(
    readJsonBody(request(json.slice(0, 4000)), options),
    (err: Error) =>
      err instanceof ClientRequestError && err.status === 400 &&
      /could not be decoded as br/.test(err.message),
  );
  // Past the limit: 413, as for gzip.
  await assert.rejects(
    readJsonBody(request(packed.slice()), { ...options, maxBytes: 100_000 }),
    (err: Error) => err instanceof ClientRequestError && err.errorType === "request_too_large",
  );
});
