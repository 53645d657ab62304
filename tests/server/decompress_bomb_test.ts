/**
 * A compressed request body is decoded a piece at a time: a small body that holds a huge one (a
 * "zip bomb") reaches the size check in bounded pieces, never as one allocation of all it holds.
 */

import assert from "node:assert/strict";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { readJsonBody } from "../../src/server/body.ts";
import { ClientRequestError } from "../../src/core/errors.ts";
import { decompress, inflate } from "../../src/server/inflate.ts";

const HELD = 64 * 1024 * 1024;
const zeros = new Uint8Array(HELD);
const BOMBS = {
  brotli: new Uint8Array(brotliCompressSync(zeros)),
  gzip: new Uint8Array(gzipSync(zeros)),
  deflate: new Uint8Array(deflateSync(zeros)),
  "deflate-raw": new Uint8Array(deflateRawSync(zeros)),
};

/** `bytes` as one chunk, as a small body arrives. */
function oneChunk(bytes: Uint8Array): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

/** The largest piece the decoded stream gives, reading all of it. */
async function largestPiece(stream: ReadableStream<Uint8Array>): Promise<[number, number]> {
  let largest = 0;
  let total = 0;
  for await (const piece of stream) {
    largest = Math.max(largest, piece.byteLength);
    total += piece.byteLength;
  }
  return [largest, total];
}

Deno.test("decompress: a bomb comes out in pieces of at most 16 MiB, whole", async () => {
  for (const format of ["brotli", "gzip"] as const) {
    const bomb = BOMBS[format];
    assert.ok(bomb.length < HELD / 500, `${format}: ${bomb.length} bytes hold 64 MiB`);
    const [largest, total] = await largestPiece(
      decompress(oneChunk(bomb), format as CompressionFormat),
    );
    assert.equal(total, HELD, format);
    assert.ok(largest <= 16 * 1024 * 1024, `${format}: a piece of ${largest} bytes`);
  }
  for (const format of ["deflate", "deflate-raw"] as const) {
    const [largest, total] = await largestPiece(inflate(oneChunk(BOMBS[format])));
    assert.equal(total, HELD, format);
    assert.ok(largest <= 16 * 1024 * 1024, `${format}: a piece of ${largest} bytes`);
  }
});

Deno.test("a body that decodes past the limit is a 413 however small it was sent", async () => {
  for (const [encoding, bomb] of [["br", BOMBS.brotli], ["gzip", BOMBS.gzip]] as const) {
    const request = new Request("http://ccp.test/v1/messages", {
      method: "POST",
      headers: { "content-encoding": encoding, "content-type": "application/json" },
      body: bomb.slice(),
    });
    await assert.rejects(
      readJsonBody(request, { maxBytes: 1024 * 1024, timeoutMs: 10_000 }),
      (err: Error) => err instanceof ClientRequestError && err.errorType === "request_too_large",
    );
  }
});
