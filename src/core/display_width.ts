/**
 * How many terminal columns text takes, for tables a terminal shows: a CJK character or an emoji
 * takes two, a combining mark none, so padding by string length would misalign the rows that
 * hold them. Read per grapheme (what the terminal draws as one), from Unicode's East Asian Width
 * (Wide and Fullwidth) and emoji properties.
 */

/** A grapheme drawn as an emoji: two columns, whatever joins or modifies it. */
const EMOJI = /^(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|[#*0-9]\uFE0F?\u20E3)/u;
/** Code points that take no column of their own: marks, joiners, variation selectors. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11FF\uFE00-\uFE0F]$/u;

/**
 * East Asian Wide and Fullwidth ranges (Unicode 15), start and end inclusive; the emoji among
 * them are found by their property above.
 */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115F], // Hangul Jamo initials
  [0x231A, 0x231B],
  [0x2329, 0x232A],
  [0x2E80, 0x303E], // CJK radicals, Kangxi, ideographic description, CJK symbols
  [0x3041, 0x3247], // kana, bopomofo, Hangul compatibility Jamo, enclosed CJK
  [0x3250, 0x4DBF], // enclosed CJK, CJK compatibility, CJK extension A
  [0x4E00, 0x9FFF], // CJK unified ideographs
  [0xA000, 0xA4CF], // Yi
  [0xA960, 0xA97F], // Hangul Jamo extended A
  [0xAC00, 0xD7A3], // Hangul syllables
  [0xF900, 0xFAFF], // CJK compatibility ideographs
  [0xFE10, 0xFE19], // vertical forms
  [0xFE30, 0xFE6F], // CJK compatibility forms, small forms
  [0xFF00, 0xFF60], // fullwidth forms
  [0xFFE0, 0xFFE6],
  [0x16FE0, 0x16FE4],
  [0x17000, 0x18CFF], // Tangut
  [0x1AFF0, 0x1B2FF], // kana supplement and extensions, Nushu
  [0x1F200, 0x1F2FF], // enclosed ideographic supplement
  [0x20000, 0x3FFFD], // CJK extensions B and on
];

function isWide(code: number): boolean {
  if (code < 0x1100) return false;
  for (const [from, to] of WIDE) {
    if (code < from) return false;
    if (code <= to) return true;
  }
  return false;
}

let graphemes: Intl.Segmenter | undefined;

/** The columns `text` takes in a terminal (control characters are to be escaped before). */
export function displayWidth(text: string): number {
  // Plain ASCII, the common case, is one column a character.
  // deno-lint-ignore no-control-regex -- the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(text)) return text.length;
  graphemes ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

// What a terminal gives one grapheme: its first code point's width, the rest joining it.
function graphemeWidth(grapheme: string): number {
  if (EMOJI.test(grapheme)) return 2;
  for (const c of grapheme) {
    if (ZERO_WIDTH.test(c)) continue;
    return isWide(c.codePointAt(0)!) ? 2 : 1;
  }
  return 0;
}

/** `text` padded with spaces at the end to `width` columns. */
export function padEndColumns(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** `text` padded with spaces at the start to `width` columns. */
export function padStartColumns(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}
