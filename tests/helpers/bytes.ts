/** Byte helpers the tests share. */

/** The parts one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `bytes` cut at each of `cuts` (in any order, repeats and out-of-range cuts ignored). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut > from && cut < bytes.length) {
      out.push(bytes.slice(from, cut));
      from = cut;
    }
  }
  out.push(bytes.slice(from));
  return out;
}

/** Whether an SSE event ends at `i` of `bytes`: a blank line (LF LF, CR CR or CRLF CRLF) starts. */
function blankLineAt(bytes: Uint8Array, i: number): boolean {
  const [a, b, c, d] = [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
  return (a === 10 && b === 10) || (a === 13 && b === 13) ||
    (a === 13 && b === 10 && c === 13 && d === 10);
}

/** The length of the longest event of `bytes` (from one event's end to the next one's). */
function longestEvent(bytes: Uint8Array): number {
  let longest = 0;
  let from = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && !blankLineAt(bytes, i)) continue;
    longest = Math.max(longest, i - from);
    from = i;
  }
  return longest;
}

/**
 * Cut sets that between them cut `bytes`, a stream of server-sent events, at every point, each
 * point in one set: the cuts of a set are the longest event and a blank line (4 bytes at most)
 * apart, so a stream costs that many passes instead of one per byte (a two-way cut at each point
 * costs the square of its length). The cuts of a set do not meet: each piece between two holds a
 * whole blank line, an event's end, so at each cut a reader holds over only what came after the
 * last event's end, as when that cut is the only one. A stream of one event gets a two-way cut at
 * every point.
 */
export function everyPointSpaced(bytes: Uint8Array): number[][] {
  const spacing = longestEvent(bytes) + 4;
  const sets: number[][] = [];
  for (let first = 1; first < Math.min(bytes.length, spacing + 1); first++) {
    const cuts: number[] = [];
    for (let cut = first; cut < bytes.length; cut += spacing) cuts.push(cut);
    sets.push(cuts);
  }
  return sets;
}
