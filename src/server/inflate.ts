/**
 * Decoding compressed request bodies. A web decoder gives all it can make of a piece of input at
 * once, and a few bytes of gzip can make a megabyte: the input is fed in small pieces, so the
 * reader checks the size limit before more than one piece's output is held. A few bytes of Brotli
 * make 16 MiB (a 1.6 KB Brotli body holds 1 GiB of zeros), too much for any piece worth feeding:
 * Brotli goes to a decoder that fills one bounded buffer at a time (brotli.ts).
 *
 * HTTP's `deflate` content coding is the zlib format, but some clients send the bare deflate
 * stream under that name (browsers have long accepted both): the first two bytes tell them apart.
 * A zlib stream opens with a header whose low four bits say deflate (8) and whose two bytes, read
 * as one number, are a multiple of 31; a bare stream that opened so would start with a stored
 * block padded with set bits, which encoders do not write.
 */

import { lazyImport } from "../core/lazy_modules.ts";

/** Bytes as a request body gives them. */
type Bytes = Uint8Array<ArrayBuffer>;

/** `body` decoded from either form of `deflate`; the form is found on the first read. */
export function inflate(body: ReadableStream<Bytes>): ReadableStream<Uint8Array> {
  const source = body.getReader();
  let decoded: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // Nothing is read before the caller reads: its time limit covers waiting for the first bytes.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      decoded ??= await decoder(source);
      const result = await decoded.read();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: (reason) => (decoded ?? source).cancel(reason),
  });
}

/** True when `head` (two bytes or more) opens a zlib stream. */
export function isZlib(head: Uint8Array): boolean {
  return head.length >= 2 && (head[0]! & 0x0f) === 8 && ((head[0]! << 8) | head[1]!) % 31 === 0;
}

async function decoder(
  source: ReadableStreamDefaultReader<Bytes>,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  let head = new Uint8Array(0);
  while (head.length < 2) {
    const result = await source.read();
    if (result.done) break;
    const joined = new Uint8Array(head.length + result.value.length);
    joined.set(head);
    joined.set(result.value, head.length);
    head = joined;
  }
  const first = head;
  const rest = new ReadableStream<Bytes>({
    start(controller) {
      if (first.length > 0) controller.enqueue(first);
    },
    async pull(controller) {
      const result = await source.read();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: (reason) => source.cancel(reason),
  });
  const format: CompressionFormat = isZlib(first) ? "deflate" : "deflate-raw";
  return decompress(rest, format).getReader();
}

/** Input bytes per piece: deflate (gzip, zlib, raw) turns a byte into at most 1032, so ~4 MiB. */
const DEFLATE_PIECE_BYTES = 4096;

/** `body` decoded: Brotli by brotli.ts, the others fed to the decoder in pieces. */
export function decompress(
  body: ReadableStream<Bytes>,
  format: CompressionFormat,
): ReadableStream<Uint8Array> {
  if (format === "brotli") return brotli(body);
  const size = DEFLATE_PIECE_BYTES;
  const pieces = new TransformStream<Bytes, Bytes>({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.byteLength; at += size) {
        controller.enqueue(chunk.subarray(at, at + size));
      }
    },
  });
  return body.pipeThrough(pieces).pipeThrough(new DecompressionStream(format));
}

/** `body` decoded from Brotli, by a module loaded with the first Brotli body. */
function brotli(body: ReadableStream<Bytes>): ReadableStream<Uint8Array> {
  let decoded: Promise<ReadableStreamDefaultReader<Uint8Array>> | undefined;
  const open = () =>
    decoded ??= lazyImport("server/brotli.ts").then((m) => m.decodeBrotli(body).getReader());
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const result = await (await open()).read();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: async (reason) => {
      if (decoded) await (await decoded).cancel(reason);
      else await body.cancel(reason);
    },
  });
}
