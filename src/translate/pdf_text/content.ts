/**
 * A page's text from its content stream: the strings the text operators show (Tj, TJ, ' and "),
 * decoded by the font in use, with line breaks where the text position moves to another line
 * (Td, TD, T*, Tm) and spaces where it jumps along one. Form XObjects are read where drawn.
 */

import type { Budget } from "./budget.ts";
import type { PdfDocument } from "./document.ts";
import { decodeStream } from "./filters.ts";
import { type FontDecoder, fontDecoder } from "./fonts.ts";
import { Lexer, nameOf, type PdfDict, PdfName, type PdfObj, PdfOp, PdfStream } from "./objects.ts";

// Form XObjects drawn inside Form XObjects deeper than this are not read.
const MAX_FORM_DEPTH = 4;
// A TJ adjustment past this (thousandths of an em, to the left) is a gap between words.
const WORD_GAP = 180;

/**
 * Reads the text of content streams into one page's lines, at most `maxChars` of it. The text is
 * kept as pieces: looking at the end of one string grown a piece at a time copies all of it,
 * which made a page of many short strings cost time in the square of its length.
 */
export class TextCollector {
  readonly #out: string[] = [];
  #length = 0;
  #lineY: number | undefined;
  #gap = "";
  readonly #fonts = new Map<PdfObj, FontDecoder>();

  constructor(readonly doc: PdfDocument, readonly budget: Budget, readonly maxChars: number) {}

  /** The text read so far, lines' trailing spaces trimmed. */
  text(): string {
    return this.#out.join("").split("\n").map((l) => l.trimEnd()).join("\n").trim();
  }

  /** True once the page holds `maxChars`: reading it further keeps nothing. */
  get full(): boolean {
    return this.#length >= this.maxChars;
  }

  /** Reads one content stream's bytes drawn with `resources`. */
  async read(data: Uint8Array, resources: PdfDict | undefined, depth = 0): Promise<void> {
    const lexer = new Lexer(data, this.budget);
    const args: PdfObj[] = [];
    let font: FontDecoder = defaultFont;
    let leading = 0;
    let tm = [1, 0, 0, 1, 0, 0];
    let tlm = tm;
    while (!this.full) {
      const tok = lexer.next();
      if (tok === undefined) return;
      if (!(tok instanceof PdfOp)) {
        if (args.length < 32) args.push(tok);
        continue;
      }
      const num = (i: number) => (typeof args[i] === "number" ? args[i] as number : 0);
      switch (tok.op) {
        case "BT":
          tm = tlm = [1, 0, 0, 1, 0, 0];
          break;
        case "Tf":
          font = await this.#font(resources, args[0]);
          break;
        case "TL":
          leading = num(0);
          break;
        case "Td":
        case "TD":
          if (tok.op === "TD") leading = -num(1);
          tm = tlm = moved(tlm, num(0), num(1));
          this.#moveTo(tm, num(0) !== 0);
          break;
        case "Tm":
          tm = tlm = [num(0), num(1), num(2), num(3), num(4), num(5)];
          this.#moveTo(tm, true);
          break;
        case "T*":
          tm = tlm = moved(tlm, 0, -leading);
          this.#moveTo(tm, false);
          break;
        case "'":
        case '"':
          tm = tlm = moved(tlm, 0, -leading);
          this.#moveTo(tm, false);
          this.#show(font, args[args.length - 1]);
          break;
        case "Tj":
          this.#show(font, args[0]);
          break;
        case "TJ":
          for (const part of Array.isArray(args[0]) ? args[0] : []) {
            if (typeof part === "number") {
              if (part < -WORD_GAP) this.#space();
            } else this.#show(font, part);
          }
          break;
        case "Do":
          await this.#form(resources, args[0], depth);
          break;
        case "BI":
          skipInlineImage(lexer);
          break;
      }
      args.length = 0;
    }
  }

  #show(font: FontDecoder, value: PdfObj | undefined): void {
    if (!(value instanceof Uint8Array)) return;
    // Control characters (a font's unmapped codes, NULs of two-byte strings) are no text.
    // deno-lint-ignore no-control-regex
    const text = font(value).replace(/[\u0000-\u0008\u000b-\u001f]/g, "");
    if (text === "") return;
    // A break or gap is written before the next text, so moves that show nothing add nothing.
    if (this.#length > 0 && this.#gap === "\n") {
      this.#trimEnd();
      this.#push("\n");
    } else if (this.#length > 0 && this.#gap === " " && !/\s$/.test(this.#out.at(-1)!)) {
      this.#push(" ");
    }
    this.#gap = "";
    this.#push(text);
  }

  #push(text: string): void {
    const kept = text.length > this.maxChars - this.#length
      ? text.slice(0, Math.max(0, this.maxChars - this.#length))
      : text;
    this.#out.push(kept);
    this.#length += kept.length;
  }

  /** Drops the white space at the end of the text. */
  #trimEnd(): void {
    while (this.#out.length > 0) {
      const last = this.#out.pop()!;
      const trimmed = last.trimEnd();
      this.#length -= last.length - trimmed.length;
      if (trimmed !== "") {
        this.#out.push(trimmed);
        return;
      }
    }
  }

  #space(): void {
    if (this.#gap === "") this.#gap = " ";
  }

  /** A new line when the text moved off the current one; else a space when it jumped along it. */
  #moveTo(tm: number[], along: boolean): void {
    const y = tm[5]!;
    if (this.#lineY !== undefined && Math.abs(y - this.#lineY) > 0.5) this.#gap = "\n";
    else if (along) this.#space();
    this.#lineY = y;
  }

  async #font(resources: PdfDict | undefined, name: PdfObj | undefined): Promise<FontDecoder> {
    const fonts = this.doc.dict(resources?.get("Font"));
    const ref = fonts?.get(nameOf(name) ?? "");
    if (ref === undefined) return defaultFont;
    const known = this.#fonts.get(ref);
    if (known) return known;
    const decoder = await fontDecoder(this.doc, this.doc.dict(ref), this.budget);
    this.#fonts.set(ref, decoder);
    return decoder;
  }

  async #form(resources: PdfDict | undefined, name: PdfObj | undefined, depth: number) {
    if (depth >= MAX_FORM_DEPTH || !(name instanceof PdfName)) return;
    const xobject = this.doc.resolve(this.doc.dict(resources?.get("XObject"))?.get(name.name));
    if (!(xobject instanceof PdfStream) || nameOf(xobject.dict.get("Subtype")) !== "Form") return;
    const data = await decodeStream(xobject, this.budget);
    const own = this.doc.dict(xobject.dict.get("Resources")) ?? resources;
    if (data) await this.read(data, own, depth + 1);
  }
}

const defaultFont = (b: Uint8Array) => new TextDecoder("windows-1252").decode(b);

function moved(m: number[], tx: number, ty: number): number[] {
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  return [a, b, c, d, e + tx * a + ty * c, f + tx * b + ty * d];
}

/** Skips an inline image's data (`ID` ... `EI`), which may hold any bytes. */
function skipInlineImage(lexer: Lexer): void {
  const b = lexer.bytes;
  while (true) {
    const tok = lexer.next();
    if (tok === undefined) return;
    if (tok instanceof PdfOp && tok.op === "ID") break;
  }
  for (let i = lexer.pos + 1; i + 1 < b.length; i++) {
    if (b[i] === 69 && b[i + 1] === 73 && (b[i - 1] === 32 || b[i - 1] === 10 || b[i - 1] === 13)) {
      lexer.pos = i + 2;
      return;
    }
  }
  lexer.pos = b.length;
}
