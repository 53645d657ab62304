/**
 * PDF objects and the lexer that reads them, from a file or a content stream: numbers, names,
 * strings, arrays, dictionaries, references and operators. Malformed input reads as whatever
 * it resembles (a stray byte is skipped), never as an exception: a PDF's text is read best effort.
 */

import type { Budget } from "./budget.ts";

/** A `/Name`. */
export class PdfName {
  constructor(readonly name: string) {}
}

/** An `n g R` reference to an indirect object. */
export class PdfRef {
  constructor(readonly num: number, readonly gen: number) {}
}

/** A bare word: an operator of a content stream, or `obj`, `stream`, `R` in a file. */
export class PdfOp {
  constructor(readonly op: string) {}
}

/** A stream: its dictionary and its raw (still encoded) bytes. */
export class PdfStream {
  constructor(readonly dict: PdfDict, readonly raw: Uint8Array) {}
}

export type PdfDict = Map<string, PdfObj>;
/** A string's bytes are kept as bytes: only its font says what they mean. */
export type PdfObj =
  | number
  | boolean
  | null
  | Uint8Array
  | PdfName
  | PdfRef
  | PdfOp
  | PdfStream
  | PdfDict
  | PdfObj[];

/** PDF's white-space characters. */
export const isWhite = (c: number): boolean =>
  c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 0;
const isDelim = (c: number) =>
  c === 40 || c === 41 || c === 60 || c === 62 || c === 91 || c === 93 || c === 123 ||
  c === 125 || c === 47 || c === 37;
const isRegular = (c: number) => !isWhite(c) && !isDelim(c);
/** A hex digit's value, or -1 for any other character. */
export const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

// Deeper nesting than this is no real document: it is read as null.
const MAX_NESTING = 64;

/** Reads PDF tokens and objects from `bytes`, from `pos` on. */
export class Lexer {
  pos: number;

  constructor(readonly bytes: Uint8Array, readonly budget: Budget, pos = 0) {
    this.pos = pos;
  }

  skipSpace(): void {
    const b = this.bytes;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (isWhite(c)) this.pos++;
      else if (c === 37) { // % comment to the end of the line
        while (this.pos < b.length && b[this.pos] !== 10 && b[this.pos] !== 13) this.pos++;
      } else break;
    }
  }

  /**
   * The next object; an operator comes back as a {@link PdfOp}. `undefined` at the end, or when
   * the budget is spent (the caller stops either way).
   */
  next(depth = 0): PdfObj | undefined {
    this.skipSpace();
    const b = this.bytes;
    if (this.pos >= b.length || !this.budget.spend()) return undefined;
    const c = b[this.pos]!;
    if (c === 47) return this.#name();
    if (c === 40) return this.#literal();
    if (c === 60) {
      if (b[this.pos + 1] === 60) {
        this.pos += 2;
        return this.#dict(depth);
      }
      return this.#hex();
    }
    if (c === 91) {
      this.pos++;
      return this.#array(depth);
    }
    if (c === 62 && b[this.pos + 1] === 62) {
      this.pos += 2;
      return new PdfOp(">>");
    }
    if (c === 93 || c === 62 || c === 41 || c === 123 || c === 125) {
      this.pos++;
      return new PdfOp(String.fromCharCode(c));
    }
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos]!)) this.pos++;
    const word = latin1(b, start, this.pos);
    const n = Number(word);
    if (word !== "" && Number.isFinite(n) && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) return n;
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    return new PdfOp(word);
  }

  /** The next object of a file, where `n g R` is a reference; operators read as null. */
  object(depth = 0): PdfObj | undefined {
    const first = this.next(depth);
    if (typeof first !== "number" || !Number.isInteger(first)) return first;
    const save = this.pos;
    const gen = this.next(depth);
    if (typeof gen === "number" && Number.isInteger(gen)) {
      const r = this.next(depth);
      if (r instanceof PdfOp && r.op === "R") return new PdfRef(first, gen);
    }
    this.pos = save;
    return first;
  }

  #name(): PdfName {
    const b = this.bytes;
    let out = "";
    this.pos++;
    while (this.pos < b.length && isRegular(b[this.pos]!)) {
      const c = b[this.pos++]!;
      if (c === 35 && hexValue(b[this.pos] ?? 0) >= 0 && hexValue(b[this.pos + 1] ?? 0) >= 0) {
        out += String.fromCharCode(hexValue(b[this.pos]!) * 16 + hexValue(b[this.pos + 1]!));
        this.pos += 2;
      } else out += String.fromCharCode(c);
    }
    return new PdfName(out);
  }

  #literal(): Uint8Array {
    const b = this.bytes;
    const out: number[] = [];
    let nest = 1;
    this.pos++;
    while (this.pos < b.length) {
      const c = b[this.pos++]!;
      if (c === 40) nest++;
      else if (c === 41 && --nest === 0) break;
      if (c !== 92) {
        out.push(c);
        continue;
      }
      const e = b[this.pos++];
      if (e === undefined) break;
      const simple = ESCAPES[e];
      if (simple !== undefined) out.push(simple);
      else if (e >= 48 && e <= 55) { // up to three octal digits
        let v = e - 48;
        for (let i = 0; i < 2 && (b[this.pos] ?? 0) >= 48 && (b[this.pos] ?? 0) <= 55; i++) {
          v = v * 8 + b[this.pos++]! - 48;
        }
        out.push(v & 255);
      } else if (e === 13) { // a line continuation
        if (b[this.pos] === 10) this.pos++;
      } else if (e !== 10) out.push(e);
    }
    return Uint8Array.from(out);
  }

  #hex(): Uint8Array {
    const b = this.bytes;
    const out: number[] = [];
    let high = -1;
    this.pos++;
    while (this.pos < b.length) {
      const c = b[this.pos++]!;
      if (c === 62) break;
      const v = hexValue(c);
      if (v < 0) continue;
      if (high < 0) high = v;
      else {
        out.push(high * 16 + v);
        high = -1;
      }
    }
    if (high >= 0) out.push(high * 16);
    return Uint8Array.from(out);
  }

  #array(depth: number): PdfObj[] {
    const out: PdfObj[] = [];
    while (true) {
      const item = depth < MAX_NESTING ? this.object(depth + 1) : undefined;
      if (item === undefined) return out;
      if (item instanceof PdfOp) {
        if (item.op === "]") return out;
        continue;
      }
      out.push(item);
    }
  }

  #dict(depth: number): PdfDict {
    const out: PdfDict = new Map();
    while (true) {
      const key = depth < MAX_NESTING ? this.next(depth + 1) : undefined;
      if (key === undefined || (key instanceof PdfOp && key.op === ">>")) return out;
      if (!(key instanceof PdfName)) continue;
      const value = this.object(depth + 1);
      if (value === undefined) return out;
      if (value instanceof PdfOp) {
        if (value.op === ">>") return out;
        continue;
      }
      out.set(key.name, value);
    }
  }
}

const ESCAPES: Record<number, number> = {
  110: 10, // \n
  114: 13, // \r
  116: 9, // \t
  98: 8, // \b
  102: 12, // \f
  40: 40,
  41: 41,
  92: 92,
};

/** Bytes `start`..`end` as a Latin-1 string (one character per byte). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}

/** The name a value holds, or undefined. */
export const nameOf = (v: PdfObj | undefined): string | undefined =>
  v instanceof PdfName ? v.name : undefined;

/** A dictionary, or a stream's dictionary. */
export const dictOf = (v: PdfObj | undefined): PdfDict | undefined =>
  v instanceof Map ? v : v instanceof PdfStream ? v.dict : undefined;
