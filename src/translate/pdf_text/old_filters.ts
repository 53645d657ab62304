/**
 * The filters of older PDFs and of PostScript-born ones: LZWDecode (the compression before
 * Flate, until PDF 1.2), and the ASCII85 and ASCIIHex text encodings (often chained before Flate or
 * LZW, e.g. `[/ASCII85Decode /FlateDecode]`). Each stops at `cap` output bytes, and at damage keeps
 * what it decoded before it, as the Flate reader does.
 */

import { hexValue, isWhite } from "./objects.ts";

/** Output that grows up to a cap. */
class Output {
  #bytes: Uint8Array;
  length = 0;

  constructor(readonly cap: number, expected: number) {
    this.#bytes = new Uint8Array(Math.max(16, Math.min(cap, expected)));
  }

  /** Room for `n` more bytes; false when the cap leaves none. */
  room(n: number): boolean {
    if (this.length + n > this.cap) return false;
    if (this.length + n > this.#bytes.length) {
      const grown = new Uint8Array(Math.min(this.cap, Math.max(this.length + n, this.length * 2)));
      grown.set(this.#bytes.subarray(0, this.length));
      this.#bytes = grown;
    }
    return true;
  }

  push(byte: number): void {
    this.#bytes[this.length++] = byte;
  }

  done(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }
}

/** ASCII85: groups of five characters `!`..`u` for four bytes, `z` for four zeros, `~>` at the end. */
export function ascii85(raw: Uint8Array, cap: number): Uint8Array {
  const out = new Output(cap, Math.ceil(raw.length * 0.8));
  const group: number[] = [];
  const flush = (count: number) => {
    let value = 0;
    for (let k = 0; k < 5; k++) value = value * 85 + (group[k] ?? 84);
    const bytes = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
    if (!out.room(count)) return false;
    for (let k = 0; k < count; k++) out.push(bytes[k]!);
    group.length = 0;
    return true;
  };
  for (const c of raw) {
    if (isWhite(c)) continue;
    if (c === 126) break; // "~>" ends it
    if (c === 122 && group.length === 0) {
      if (!out.room(4)) return out.done();
      for (let k = 0; k < 4; k++) out.push(0);
      continue;
    }
    if (c < 33 || c > 117) break; // damage
    group.push(c - 33);
    if (group.length === 5 && !flush(4)) return out.done();
  }
  // A last group of n characters holds n - 1 bytes.
  if (group.length > 1) flush(group.length - 1);
  return out.done();
}

/** ASCIIHex: two hex digits a byte, white space between, `>` at the end. */
export function asciiHex(raw: Uint8Array, cap: number): Uint8Array {
  const out = new Output(cap, raw.length >> 1);
  let high = -1;
  for (const c of raw) {
    if (isWhite(c)) continue;
    if (c === 62) break;
    const v = hexValue(c);
    if (v < 0) break; // damage
    if (high < 0) high = v;
    else {
      if (!out.room(1)) return out.done();
      out.push(high * 16 + v);
      high = -1;
    }
  }
  // An odd last digit is followed by an implied 0.
  if (high >= 0 && out.room(1)) out.push(high * 16);
  return out.done();
}

const CLEAR = 256;
const END = 257;
const TABLE_SIZE = 4096;

/**
 * LZW as PDF writes it: codes of 9 to 12 bits, most significant bit first, 256 clears the table
 * and 257 ends the data. With `earlyChange` (the default, 1) the code length grows one code
 * before the table needs it.
 */
export function lzw(raw: Uint8Array, cap: number, earlyChange = 1): Uint8Array {
  const out = new Output(cap, raw.length * 3);
  // Each entry is its prefix entry plus one byte; its length and first byte save walking back.
  const prefix = new Uint16Array(TABLE_SIZE);
  const last = new Uint8Array(TABLE_SIZE);
  const first = new Uint8Array(TABLE_SIZE);
  const length = new Uint16Array(TABLE_SIZE);
  // One entry's bytes, written back to front (an entry is at most the table's size long).
  const word = new Uint8Array(TABLE_SIZE + 1);
  for (let c = 0; c < 256; c++) {
    last[c] = c;
    first[c] = c;
    length[c] = 1;
  }
  let width = 9;
  let next = 258;
  let previous = -1;
  let bits = 0;
  let held = 0;
  let at = 0;
  for (;;) {
    while (held < width && at < raw.length) {
      bits = ((bits << 8) | raw[at++]!) & 0xffffff;
      held += 8;
    }
    if (held < width) break;
    const code = (bits >>> (held - width)) & ((1 << width) - 1);
    held -= width;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      previous = -1;
      continue;
    }
    if (code === END) break;
    // A code not yet in the table is the previous entry plus its own first byte; past that, damage.
    const known = code < 256 || (code >= 258 && code < next);
    if (!known && (code !== next || previous < 0)) break;
    const entry = known ? code : previous;
    const size = length[entry]! + (known ? 0 : 1);
    for (let e = entry, pos = length[entry]! - 1; pos >= 0; e = prefix[e]!) word[pos--] = last[e]!;
    if (!known) word[size - 1] = first[previous]!;
    // At the cap, what fits is kept.
    const fits = Math.min(size, out.cap - out.length);
    if (fits > 0 && out.room(fits)) { for (let k = 0; k < fits; k++) out.push(word[k]!); }
    if (fits < size) break;
    if (previous >= 0 && next < TABLE_SIZE) {
      prefix[next] = previous;
      last[next] = first[code < next ? code : previous]!;
      first[next] = first[previous]!;
      length[next] = length[previous]! + 1;
      next++;
      if (next + earlyChange >= 1 << width && width < 12) width++;
    }
    previous = code;
  }
  return out.done();
}
