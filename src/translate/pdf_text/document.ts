/**
 * A PDF file's objects, found by scanning for `n g obj` rather than trusting the cross-reference
 * table: that reads classic tables, cross-reference streams and files whose table is damaged or
 * cut off alike, and a later revision of an object (an incremental update) wins. Objects packed
 * in object streams are read from those streams.
 */

import type { Budget } from "./budget.ts";
import { decodeStream } from "./filters.ts";
import {
  dictOf,
  latin1,
  Lexer,
  nameOf,
  type PdfDict,
  type PdfObj,
  PdfOp,
  PdfRef,
  PdfStream,
} from "./objects.ts";

const OBJ_HEAD = /(\d{1,10})\s+(\d{1,5})\s+obj\b/g;
const TRAILER = /trailer\s*<</g;

/** Where an object is: at a byte offset of the file, or the index-th of an object stream. */
type Place = { offset: number } | { stream: number; index: number };

/** A PDF's objects, resolved on demand. */
export class PdfDocument {
  readonly #places = new Map<number, Place>();
  readonly #loaded = new Map<number, PdfObj>();
  readonly #packed = new Map<number, PdfObj[]>();
  /** The trailer's entries (and each cross-reference stream's), later revisions last. */
  readonly trailers: PdfDict[] = [];

  private constructor(readonly bytes: Uint8Array, readonly budget: Budget) {}

  /** Indexes the file; `text` is its bytes as Latin-1, for the scans. */
  static open(bytes: Uint8Array, budget: Budget): PdfDocument {
    const doc = new PdfDocument(bytes, budget);
    const text = latin1(bytes);
    for (const m of text.matchAll(OBJ_HEAD)) {
      doc.#places.set(Number(m[1]), { offset: m.index + m[0].length });
      if (!budget.spend()) break;
    }
    for (const m of text.matchAll(TRAILER)) {
      const dict = new Lexer(bytes, budget, m.index + m[0].length - 2).next();
      if (dict instanceof Map) doc.trailers.push(dict);
    }
    return doc;
  }

  /** Reads every object stream's table, so packed objects can be found (written ones win). */
  async unpack(): Promise<void> {
    for (const [num, place] of [...this.#places]) {
      if (!("offset" in place) || this.budget.spent) continue;
      const obj = this.get(num);
      if (!(obj instanceof PdfStream)) continue;
      const type = nameOf(obj.dict.get("Type"));
      if (type === "XRef") this.trailers.push(obj.dict);
      if (type !== "ObjStm") continue;
      const data = await decodeStream(obj, this.budget);
      const first = obj.dict.get("First");
      const count = obj.dict.get("N");
      if (!data || typeof first !== "number" || typeof count !== "number") continue;
      const lexer = new Lexer(data, this.budget);
      const heads: [number, number][] = [];
      for (let i = 0; i < count && i < 100_000; i++) {
        const n = lexer.next();
        const at = lexer.next();
        if (typeof n !== "number" || typeof at !== "number") break;
        heads.push([n, at]);
      }
      const objects = heads.map(([, at]) => new Lexer(data, this.budget, first + at).object());
      this.#packed.set(num, objects.map((o) => o ?? null));
      heads.forEach(([n], index) => {
        if (!this.#places.has(n)) this.#places.set(n, { stream: num, index });
      });
    }
  }

  /** The value itself, following references (a chain or loop of them ends as null). */
  resolve(value: PdfObj | undefined): PdfObj | undefined {
    for (let hops = 0; value instanceof PdfRef && hops < 32; hops++) value = this.get(value.num);
    return value instanceof PdfRef ? null : value;
  }

  /** A dictionary (or a stream's) behind `value`. */
  dict(value: PdfObj | undefined): PdfDict | undefined {
    return dictOf(this.resolve(value));
  }

  /** Indirect object `num`; null when there is none. */
  get(num: number): PdfObj {
    const done = this.#loaded.get(num);
    if (done !== undefined) return done;
    const place = this.#places.get(num);
    let obj: PdfObj = null;
    // Marked first: a stream whose /Length refers to itself then reads as null, not forever.
    this.#loaded.set(num, null);
    if (place && "offset" in place) obj = this.#read(place.offset);
    else if (place) obj = this.#packed.get(place.stream)?.[place.index] ?? null;
    this.#loaded.set(num, obj);
    return obj;
  }

  /** The file's trailer entry `key`, the latest revision's first. */
  trailer(key: string): PdfObj | undefined {
    for (let i = this.trailers.length - 1; i >= 0; i--) {
      const v = this.trailers[i]!.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Every object number, for the scans that look past a missing catalog. */
  numbers(): number[] {
    return [...this.#places.keys()].sort((a, b) => a - b);
  }

  #read(offset: number): PdfObj {
    const lexer = new Lexer(this.bytes, this.budget, offset);
    const obj = lexer.object() ?? null;
    if (!(obj instanceof Map)) return obj instanceof PdfOp ? null : obj;
    const save = lexer.pos;
    const word = lexer.next();
    if (!(word instanceof PdfOp) || word.op !== "stream") {
      lexer.pos = save;
      return obj;
    }
    return new PdfStream(obj, this.#streamBytes(obj, lexer.pos));
  }

  /** A stream's raw bytes from just after `stream`: by /Length when it fits, else to `endstream`. */
  #streamBytes(dict: PdfDict, after: number): Uint8Array {
    const b = this.bytes;
    let start = after;
    if (b[start] === 13) start++;
    if (b[start] === 10) start++;
    const length = this.resolve(dict.get("Length"));
    if (typeof length === "number" && length >= 0 && start + length <= b.length) {
      const tail = latin1(b, start + length, Math.min(b.length, start + length + 32));
      if (/^\s*endstream/.test(tail)) return b.subarray(start, start + length);
    }
    let end = indexOf(b, ENDSTREAM, start);
    if (end < 0) end = b.length; // cut off: all that is left
    if (b[end - 1] === 10) end--;
    if (b[end - 1] === 13) end--;
    return b.subarray(start, Math.max(start, end));
  }
}

const ENDSTREAM = new TextEncoder().encode("endstream");

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  for (let i = hay.indexOf(first, from); i >= 0; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
