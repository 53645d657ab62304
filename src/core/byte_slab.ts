/**
 * Small byte arrays for streamed chunks, carved one after another out of shared slabs instead of
 * each in an ArrayBuffer of its own. Every relayed chunk of a stream is a fresh array of bytes
 * (a copy out of the upstream's reused read buffer, or a translated event's encoding): as its own
 * ArrayBuffer, each cost an allocation of backing memory and the collector's sweep of it, more
 * than the copy itself. A slab is never written twice: a carved array keeps its bytes for as long
 * as anyone holds it, and the slab is freed with the last array carved from it.
 */

// The slab's size bounds what a chunk held long keeps alive beside itself; arrays larger than
// the largest carved get their own buffer, so a slab holds at least eight.
const SLAB_BYTES = 8 * 1024;
const LARGEST_CARVED = 1024;

const encoder = new TextEncoder();
// The first slab is made by the first chunk: a process that streams nothing holds none.
let slab = new ArrayBuffer(0);
let used = SLAB_BYTES;

/** Makes sure the current slab has `size` bytes left, starting a new one when it has not. */
function makeRoom(size: number): void {
  if (used + size <= SLAB_BYTES) return;
  slab = new ArrayBuffer(SLAB_BYTES);
  used = 0;
}

/** A copy of `bytes` that nothing else writes to. */
export function copyOfBytes(bytes: Uint8Array): Uint8Array {
  const size = bytes.byteLength;
  if (size > LARGEST_CARVED || size === 0) return bytes.slice();
  makeRoom(size);
  const copy = new Uint8Array(slab, used, size);
  used += size;
  copy.set(bytes);
  return copy;
}

/** `text` encoded as UTF-8, as `TextEncoder.encode` gives it. */
export function encodedText(text: string): Uint8Array {
  // A UTF-16 unit takes at most three bytes of UTF-8.
  const most = text.length * 3;
  if (most > LARGEST_CARVED || text.length === 0) return encoder.encode(text);
  makeRoom(most);
  const { written } = encoder.encodeInto(text, new Uint8Array(slab, used, most));
  const bytes = new Uint8Array(slab, used, written);
  used += written;
  return bytes;
}
