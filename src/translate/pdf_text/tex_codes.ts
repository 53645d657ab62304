/**
 * Text for the glyphs of TeX's bitmap fonts. pdfTeX (and older TeX toolchains) embed a bitmap
 * font as a Type3 font whose glyph names only repeat their codes (`/a65` at code 65), so only
 * the code says which character it is: TeX's text fonts put ASCII letters, digits and most
 * punctuation at their ASCII codes, and the rest where OT1 (Computer Modern) or T1 (EC) put them.
 */

const LIGATURES = ["ff", "fi", "fl", "ffi", "ffl"];
// OT1's first eleven: the upright Greek capitals (also in the math italic font).
const GREEK = "\u0393\u0394\u0398\u039B\u039E\u03A0\u03A3\u03A5\u03A6\u03A8\u03A9";
// Where OT1 differs from ASCII in text: the curly quotes and the dashes.
const OT1: Readonly<Record<number, string>> = {
  34: "\u201d",
  92: "\u201c",
  123: "\u2013",
  124: "\u2014",
};
// Where T1's upper half differs from Latin-1.
const T1_HIGH: Readonly<Record<number, string>> = {
  0xd7: "\u0152",
  0xdf: "SS",
  0xf7: "\u0153",
  0xff: "ß",
};

/** The character TeX's text fonts put at `code`, or "" for one that differs too much to say. */
export function texCodeText(code: number): string {
  if (code <= 10) return GREEK[code]!;
  if (code >= 11 && code <= 15) return LIGATURES[code - 11]!;
  if (code >= 27 && code <= 31) return LIGATURES[code - 27]!;
  if (code >= 32 && code <= 126) return OT1[code] ?? String.fromCharCode(code);
  if (code >= 0xc0 && code <= 0xff) return T1_HIGH[code] ?? String.fromCharCode(code);
  return "";
}

/** True for a glyph name that only repeats its code (`a65` at code 65). */
export function repeatsCode(name: string, code: number): boolean {
  return name === `a${code}`;
}
