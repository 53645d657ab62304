/**
 * What a font's string bytes say: through its ToUnicode CMap when it has one, else through its
 * encoding (a named base encoding and its /Differences). A composite (Type0) font without a
 * ToUnicode map has codes that are glyph ids only: its strings read as nothing. A Type3 font's
 * glyph names that only repeat their codes (TeX's bitmap fonts) are read by the code.
 */

import type { Budget } from "./budget.ts";
import { parseToUnicode, type ToUnicode } from "./cmap.ts";
import type { PdfDocument } from "./document.ts";
import { baseEncoding, glyphText } from "./encodings.ts";
import { decodeStream } from "./filters.ts";
import { repeatsCode, texCodeText } from "./tex_codes.ts";
import { nameOf, type PdfDict, PdfName, PdfStream } from "./objects.ts";

/** Turns a shown string's bytes into text. */
export type FontDecoder = (bytes: Uint8Array) => string;

const byteCode = (b: Uint8Array, i: number, n: number) => {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 256 + (b[i + k] ?? 0);
  return v;
};

/** The decoder for a font dictionary (undefined: the default WinAnsi one). */
export async function fontDecoder(
  doc: PdfDocument,
  font: PdfDict | undefined,
  budget: Budget,
): Promise<FontDecoder> {
  const composite = nameOf(font?.get("Subtype")) === "Type0";
  const cmapStream = doc.resolve(font?.get("ToUnicode"));
  let toUnicode: ToUnicode | undefined;
  if (cmapStream instanceof PdfStream) {
    const data = await decodeStream(cmapStream, budget);
    if (data) toUnicode = parseToUnicode(data, budget);
  }
  if (composite) return toUnicode ? cmapDecoder(toUnicode, undefined) : () => "";
  const table = simpleTable(doc, font);
  return toUnicode ? cmapDecoder(toUnicode, table) : (b) => {
    let out = "";
    for (const c of b) out += table[c] ?? "";
    return out;
  };
}

/** Codes of the CMap's lengths (the shortest that it maps); a simple font falls back to its table. */
function cmapDecoder(cmap: ToUnicode, table: string[] | undefined): FontDecoder {
  return (b) => {
    let out = "";
    let i = 0;
    while (i < b.length) {
      let taken = 0;
      for (const n of cmap.lengths) {
        const text = cmap.map.get(byteCode(b, i, n));
        if (text !== undefined && i + n <= b.length) {
          out += text;
          taken = n;
          break;
        }
      }
      if (taken === 0) {
        taken = table ? 1 : cmap.lengths[cmap.lengths.length - 1]!;
        if (table) out += table[b[i]!] ?? "";
      }
      i += taken;
    }
    return out;
  };
}

/** The 256-entry table of a simple font: base encoding, then its /Differences. */
function simpleTable(doc: PdfDocument, font: PdfDict | undefined): string[] {
  const enc = doc.resolve(font?.get("Encoding"));
  if (enc instanceof PdfName) return baseEncoding(enc.name);
  const dict = enc instanceof Map ? enc : undefined;
  const table = baseEncoding(nameOf(dict?.get("BaseEncoding")));
  const diffs = doc.resolve(dict?.get("Differences"));
  if (!Array.isArray(diffs)) return table;
  const type3 = nameOf(font?.get("Subtype")) === "Type3";
  let at = 0;
  for (const item of diffs) {
    if (typeof item === "number") at = item;
    else if (item instanceof PdfName) {
      if (at >= 0 && at < 256) {
        table[at] = type3 && repeatsCode(item.name, at) ? texCodeText(at) : glyphText(item.name);
      }
      at++;
    }
  }
  return table;
}
