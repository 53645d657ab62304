/** Random access to the bytes of a base64 string, decoding only the 4-character groups asked for. */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
// base64url spellings decode too, so a client's choice of alphabet does not matter.
DECODE["-".charCodeAt(0)] = 62;
DECODE["_".charCodeAt(0)] = 63;

/** Byte reader over base64 text; `read` returns `undefined` past the end or on invalid input. */
export class Base64Bytes {
  readonly #text: string;
  /** Decoded length in bytes (trailing `=` padding excluded). */
  readonly length: number;

  /** Wrap base64 text; a `data:...;base64,` prefix is skipped. */
  constructor(base64: string) {
    const comma = base64.startsWith("data:") ? base64.indexOf(",") : -1;
    let text = comma >= 0 ? base64.slice(comma + 1) : base64;
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
    text = text.slice(0, end);
    this.#text = text;
    this.length = Math.floor((text.length * 3) / 4);
  }

  /** `count` bytes from byte `offset`, or `undefined` if out of range or not valid base64. */
  read(offset: number, count: number): Uint8Array | undefined {
    if (offset < 0 || count < 0 || offset + count > this.length) return undefined;
    const firstGroup = Math.floor(offset / 3);
    const lastGroup = Math.ceil((offset + count) / 3);
    const out = new Uint8Array((lastGroup - firstGroup) * 3);
    let o = 0;
    for (let g = firstGroup; g < lastGroup; g++) {
      let bits = 0;
      for (let k = 0; k < 4; k++) {
        const i = g * 4 + k;
        // Past the end the missing characters stand for padding zero bits.
        const code = i < this.#text.length ? this.#text.charCodeAt(i) : 65;
        const value = code < 128 ? (DECODE[code] ?? -1) : -1;
        if (value < 0) return undefined;
        bits = (bits << 6) | value;
      }
      out[o++] = (bits >> 16) & 0xff;
      out[o++] = (bits >> 8) & 0xff;
      out[o++] = bits & 0xff;
    }
    const skip = offset - firstGroup * 3;
    return out.subarray(skip, skip + count);
  }
}
