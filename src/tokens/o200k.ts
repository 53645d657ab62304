/**
 * o200k_base token counts from a compact table: every token's bytes in one array, found through
 * an open-addressing hash table of rank numbers (~6 MB of arrays, ~17 MB of process memory once
 * loaded, where gpt-tokenizer's map of 200,000 strings costs ~80 MB). Text is cut into pre-tokens
 * by the encoding's own pattern; a pre-token that is not itself a token is merged byte pair by
 * byte pair, lowest rank first, as byte-pair encoding defines it. The counts equal
 * gpt-tokenizer's (tests/tokens/o200k_test.ts compares them).
 */

/** The table: how many ranks, the pre-token pattern, and every token's bytes in rank order. */
export interface O200kTable {
  readonly count: number;
  /** A regular expression's source, used with the `gu` flags. */
  readonly pattern: string;
  /** Every token's bytes in rank order, each after its length as a varint. */
  readonly packed: Uint8Array;
}

/** First bytes of the table file, so a wrong or truncated file fails loudly, not as bad counts. */
export const TABLE_MAGIC = "o200k-packed-1\n";

const encoder = new TextEncoder();
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

/**
 * Reads the table file scripts/build_o200k_table.ts writes: the magic line, the rank count and
 * the pattern's UTF-8 length (4 bytes each, little-endian), the pattern, then the packed ranks.
 */
export function readTable(file: Uint8Array): O200kTable {
  const magic = encoder.encode(TABLE_MAGIC);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerEnd = magic.length + 8;
  if (file.length < headerEnd || magic.some((b, i) => file[i] !== b)) {
    throw new Error("not an o200k table file");
  }
  const count = view.getUint32(magic.length, true);
  const patternEnd = headerEnd + view.getUint32(magic.length + 4, true);
  if (patternEnd > file.length) throw new Error("not an o200k table file (cut short)");
  const pattern = new TextDecoder().decode(file.subarray(headerEnd, patternEnd));
  return { count, pattern, packed: file.subarray(patternEnd) };
}

/** The file {@link readTable} reads. */
export function writeTable(table: O200kTable): Uint8Array {
  const magic = encoder.encode(TABLE_MAGIC);
  const pattern = encoder.encode(table.pattern);
  const file = new Uint8Array(magic.length + 8 + pattern.length + table.packed.length);
  const view = new DataView(file.buffer);
  file.set(magic);
  view.setUint32(magic.length, table.count, true);
  view.setUint32(magic.length + 4, pattern.length, true);
  file.set(pattern, magic.length + 8);
  file.set(table.packed, magic.length + 8 + pattern.length);
  return file;
}

/** Every token's bytes, back to back in rank order: rank r's are bytes[offsets[r], offsets[r + 1]). */
export interface UnpackedTokens {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
}

/**
 * Unpacks the table's tokens. One loop over the bytes, with no object per token: loading ran a
 * callback and made a view per rank (200,000 of each), which cost ~80 ms and left the young
 * generation's memory touched for good.
 */
export function unpackTokens(packed: Uint8Array, count: number): UnpackedTokens {
  const offsets = new Uint32Array(count + 1);
  const bytes = new Uint8Array(packed.length);
  let read = 0;
  let written = 0;
  for (let rank = 0; rank < count; rank++) {
    let length = 0;
    let shift = 0;
    let b: number;
    do {
      if (read >= packed.length) throw new Error(`o200k table ends inside rank ${rank}`);
      b = packed[read++]!;
      length |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    // A length of 2^31 or more reads as negative (shifts are 32-bit): it too runs past the end.
    if (length < 0 || read + length > packed.length) {
      throw new Error(`o200k table ends inside rank ${rank}`);
    }
    offsets[rank] = written;
    for (let i = 0; i < length; i++) bytes[written++] = packed[read++]!;
  }
  // A table with bytes left over is not the one its header describes: counts would be wrong.
  if (read !== packed.length) throw new Error("o200k table has bytes past its last rank");
  offsets[count] = written;
  return { bytes: bytes.slice(0, written), offsets };
}

/** Counts o200k_base tokens. */
export class O200kCounter {
  readonly #bytes: Uint8Array;
  readonly #offsets: Uint32Array;
  // Rank + 1 per slot (0 = empty), at the slot a token's hash leads to, or the next free one.
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #pattern: RegExp;
  // Reused for each pre-token's UTF-8 bytes; grown when one is longer.
  #piece = new Uint8Array(256);

  constructor(table: O200kTable) {
    const { count } = table;
    const { bytes, offsets } = unpackTokens(table.packed, count);
    this.#bytes = bytes;
    this.#offsets = offsets;
    let capacity = 1;
    while (capacity < count * 2) capacity *= 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let rank = 0; rank < count; rank++) {
      const start = offsets[rank]!;
      const end = offsets[rank + 1]!;
      if (end === start) continue; // an unused rank
      let slot = hashOf(bytes, start, end) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = rank + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
    this.#pattern = new RegExp(table.pattern, "gu");
  }

  /** The number of tokens in `text`; special-token names count as the plain text they are. */
  count(text: string): number {
    let total = 0;
    for (const [piece] of text.matchAll(this.#pattern)) total += this.#countPiece(piece);
    return total;
  }

  #countPiece(piece: string): number {
    if (this.#piece.length < piece.length * 3) this.#piece = new Uint8Array(piece.length * 3);
    const bytes = this.#piece;
    const length = encoder.encodeInto(piece, bytes).written;
    if (this.#rank(bytes, 0, length) >= 0) return 1;
    return this.#merge(bytes, length);
  }

  // The rank of bytes[start, end), or -1 when that sequence is not a token.
  #rank(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let slot = hashOf(bytes, start, end) & this.#mask;
    for (;;) {
      const found = this.#slots[slot]!;
      if (found === 0) return -1;
      const rank = found - 1;
      const at = this.#offsets[rank]!;
      if (this.#offsets[rank + 1]! - at === length) {
        let same = true;
        for (let i = 0; i < length; i++) {
          if (this.#bytes[at + i] !== bytes[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return rank;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  // Byte-pair merging of one pre-token: parts start as single bytes; the adjacent pair whose
  // joined bytes have the lowest rank is joined, leftmost first on a tie, until no pair is a
  // token. Returns how many parts remain.
  #merge(bytes: Uint8Array, length: number): number {
    // starts[i] is where part i begins; ranks[i] the rank of parts i and i + 1 joined.
    const starts: number[] = [];
    const ranks: number[] = [];
    for (let i = 0; i <= length; i++) starts.push(i);
    for (let i = 0; i < length - 1; i++) ranks.push(this.#pairRank(bytes, starts, i));
    while (ranks.length > 0) {
      let lowest = Infinity;
      let at = -1;
      for (let i = 0; i < ranks.length; i++) {
        if (ranks[i]! < lowest) {
          lowest = ranks[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      starts.splice(at + 1, 1);
      ranks.splice(at, 1);
      if (at < ranks.length) ranks[at] = this.#pairRank(bytes, starts, at);
      if (at > 0) ranks[at - 1] = this.#pairRank(bytes, starts, at - 1);
    }
    return starts.length - 1;
  }

  #pairRank(bytes: Uint8Array, starts: readonly number[], i: number): number {
    const rank = this.#rank(bytes, starts[i]!, starts[i + 2]!);
    return rank < 0 ? Infinity : rank;
  }
}
