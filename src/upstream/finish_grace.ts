/**
 * How long a relay still reads an upstream that has said its answer is finished. What may follow
 * is optional (OpenAI's usage chunk, then `[DONE]`), and some servers and proxies then keep the
 * connection open instead of closing it: the answer must not wait for an idle timeout.
 */

import { type Cancel, deadline } from "../core/deadlines.ts";
import type { ChunkReader } from "../resilience/body_guard.ts";

/**
 * A usage chunk is written right after its finish (milliseconds later, even through a gateway);
 * a client barely notices this much more from an upstream that never closes.
 */
export const FINISH_GRACE_MS = 500;

const ENDED: ReadableStreamReadDoneResult<Uint8Array> = { done: true, value: undefined };

/**
 * The next read of `reader`, or the body's end when the time `until` (on `performance.now()`)
 * comes first; the read given up on is settled by the caller cancelling the reader.
 */
export async function readUntil(
  reader: ChunkReader,
  until: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const read = reader.read();
  read.catch(() => {}); // once given up on, its failure has no one to reach
  let cancel: Cancel = () => {};
  const late = new Promise<typeof ENDED>((resolve) => {
    cancel = deadline(until - performance.now(), () => resolve(ENDED));
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    cancel();
  }
}
