/**
 * Decoding compressed request bodies. A decoder gives all it can make of a piece of input at once,
 * and a few bytes of gzip can make a megabyte, a few bytes of Brotli many (a 1.6 KB Brotli body
 * holds 1 GiB of zeros): the input is fed in small pieces, so the reader checks the size limit
 * before more than one piece's output is held.
 *
 * HTTP's `deflate` content coding is the zlib format, but some clients send the bare deflate
 * stream under that name (browsers have long accepted both): the first two bytes tell them apart.
 * A zlib stream opens with a header whose low four bits say deflate (8) and whose two bytes, read
 * as one number, are a multiple of 31; a bare stream that opened so would start with a stored
 * block padded with set bits, which encoders do not write.
 */

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

/**
 * Input bytes per piece. Deflate (gzip, zlib, raw) turns a byte into at most 1032, so 4 KiB makes
 * at most ~4 MiB. Brotli has no such ratio; its decoder here gave at most 16 MiB for 16 bytes (a
 * Brotli meta-block holds at most 16 MiB, and its header takes several bytes), and decoding a
 * Brotli body in 16-byte pieces costs about 0.1 s per MB of JSON it holds.
 */
const PIECE_BYTES: Readonly<Record<string, number>> = { brotli: 16 };
const DEFLATE_PIECE_BYTES = 4096;

/** `body` decoded, its input fed to the decoder in pieces (see PIECE_BYTES). */
export function decompress(
  body: ReadableStream<Bytes>,
  format: CompressionFormat,
): ReadableStream<Uint8Array> {
  const size = PIECE_BYTES[format] ?? DEFLATE_PIECE_BYTES;
  const pieces = new TransformStream<Bytes, Bytes>({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.byteLength; at += size) {
        controller.enqueue(chunk.subarray(at, at + size));
      }
    },
  });
  return body.pipeThrough(pieces).pipeThrough(new DecompressionStream(format));
}
