/** Collecting a body's chunks into one array of bytes, with memory bounded by what arrived. */

import { withScratch } from "./scratch_bytes.ts";

/**
 * A body's chunks as they arrive (a request's from its client, an answer's from an upstream),
 * joined once at the end into a reused buffer, so memory follows what arrived (not what was
 * declared) and each byte is copied at most twice. The first chunk is kept as it
 * came: a body in one chunk, the usual case, is not copied at all. A later chunk is kept only
 * when it fills most of the buffer it is a view of (Deno hands out slices of 64 KiB buffers, and
 * keeping a small slice would keep its whole buffer); the others are packed into shared blocks,
 * so a peer sending small pieces costs about what it sent, never a buffer per piece.
 */
export class ByteCollector {
  static readonly SMALL = 4 * 1024;
  static readonly BLOCK = 16 * 1024;
  size = 0;
  readonly #chunks: Uint8Array[] = [];
  #block: Uint8Array | undefined;
  #blockUsed = 0;

  add(chunk: Uint8Array): void {
    const keep = this.size === 0 ||
      (chunk.byteLength >= ByteCollector.SMALL && chunk.byteLength * 2 >= chunk.buffer.byteLength);
    if (keep) {
      this.#seal();
      this.#chunks.push(chunk);
    } else {
      if (!this.#block || this.#blockUsed + chunk.byteLength > this.#block.byteLength) {
        this.#seal();
        this.#block = new Uint8Array(Math.max(ByteCollector.BLOCK, chunk.byteLength));
      }
      this.#block.set(chunk, this.#blockUsed);
      this.#blockUsed += chunk.byteLength;
    }
    this.size += chunk.byteLength;
  }

  /** Bytes of the buffers kept alive: at most ~2× {@link size}, plus the first chunk's buffer. */
  get held(): number {
    let held = this.#block?.byteLength ?? 0;
    for (const chunk of this.#chunks) held += chunk.buffer.byteLength;
    return held;
  }

  /**
   * Calls `use` with all the bytes added, in order, and returns what it returns. The bytes are
   * lent for the call only (several chunks are joined in a reused scratch buffer): `use` must be
   * synchronous and must not keep them, as decoding them to text does not.
   */
  withBytes<T>(use: (bytes: Uint8Array) => T): T {
    this.#seal();
    if (this.#chunks.length === 1) return use(this.#chunks[0]!);
    return withScratch(this.size, (buffer) => {
      let at = 0;
      for (const chunk of this.#chunks) {
        buffer.set(chunk, at);
        at += chunk.byteLength;
      }
      return use(buffer.subarray(0, at));
    });
  }

  /**
   * The bytes added, in order, as the arrays they are kept in (not joined). They stay as they are
   * once nothing more is added, so they can outlive the collector.
   */
  parts(): readonly Uint8Array[] {
    this.#seal();
    return this.#chunks;
  }

  // A block less than half used is copied out at its size, so it does not hold the rest.
  #seal(): void {
    const block = this.#block;
    if (block && this.#blockUsed > 0) {
      this.#chunks.push(
        this.#blockUsed * 2 >= block.byteLength
          ? block.subarray(0, this.#blockUsed)
          : block.slice(0, this.#blockUsed),
      );
    }
    this.#block = undefined;
    this.#blockUsed = 0;
  }
}
