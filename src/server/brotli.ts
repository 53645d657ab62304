/**
 * Brotli request bodies, decoded by a decoder that writes into an output buffer of a fixed size
 * and stops when the reader has not taken the last one. A web DecompressionStream gives all the
 * output of a piece of input at once, and a few bytes of Brotli hold 16 MiB, so it had to be fed
 * 16 bytes at a time (~0.2-0.6 s per MB of incompressible body such as an image); this one reads
 * input as it arrives, and a bomb still reaches the reader's size check one buffer at a time.
 * Loaded with the first Brotli body: ccp's start loads no Node module.
 */

import { createBrotliDecompress } from "node:zlib";

/** Output bytes per buffer: the most one read of a bomb gives the size check. */
export const BROTLI_OUTPUT_BYTES = 64 * 1024;

/** `body` decoded from Brotli, no faster than its reader reads. */
export function decodeBrotli(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decoder = createBrotliDecompress({ chunkSize: BROTLI_OUTPUT_BYTES });
  const source = body.getReader();
  let stopped = false;
  const stop = (reason?: unknown) => {
    stopped = true;
    decoder.destroy();
    source.cancel(reason).catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      decoder.on("data", (piece: Uint8Array) => {
        // A decoder stopped with a step under way may still hand its output over.
        if (stopped) return;
        controller.enqueue(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
        // The decoder goes on only when the reader has taken what it made (see pull).
        if ((controller.desiredSize ?? 0) <= 0) decoder.pause();
      });
      decoder.on("end", () => {
        if (!stopped) controller.close();
      });
      decoder.on("error", (err: Error) => {
        if (stopped) return;
        controller.error(err);
        stop(err);
      });
      void feed().catch((err) => {
        if (stopped) return;
        controller.error(err);
        stop(err);
      });
    },
    pull() {
      decoder.resume();
    },
    cancel: (reason) => stop(reason),
  });

  // Input goes in as it arrives; a decoder whose output waits takes no more until it is read.
  async function feed(): Promise<void> {
    for (;;) {
      const result = await source.read();
      if (stopped) return;
      if (result.done) {
        decoder.end();
        return;
      }
      if (!decoder.write(result.value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            decoder.off("drain", done);
            decoder.off("close", done);
            resolve();
          };
          decoder.on("drain", done);
          decoder.on("close", done);
        });
      }
    }
  }
}
