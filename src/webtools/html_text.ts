/**
 * HTML reduced to readable text for a model: no scripts, styles or markup, entities decoded,
 * block elements on their own lines, whitespace collapsed. Regular expressions suffice because
 * the goal is text for reading, not a DOM; each step is ordered so that decoded text can never
 * be read again as markup.
 */

// Elements whose content is never text for a reader.
const HIDDEN = "script|style|noscript|template|svg|math|iframe|object|canvas|head";
const HIDDEN_ELEMENT = new RegExp(`<(${HIDDEN})\\b[^>]*>[\\s\\S]*?<\\/\\1\\s*>`, "gi");
// An element left open (`<script>` to the end of a cut page) hides the rest.
const HIDDEN_UNCLOSED = new RegExp(`<(?:${HIDDEN})\\b[\\s\\S]*$`, "i");
const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const DECLARATION = /<![^>]*>|<\?[^>]*>/g;
// Tags whose start or end breaks a line.
const BLOCK_TAG =
  /<\/?(?:address|article|aside|blockquote|br|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
// Any other tag, with quoted attributes that may contain ">".
const TAG = /<\/?[a-zA-Z][^\s>/]*(?:[^>"']|"[^"]*"|'[^']*')*>/g;
const TITLE = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i;

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  middot: "·",
  bull: "•",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  deg: "°",
  times: "×",
  divide: "÷",
  shy: "",
  zwj: "",
  zwnj: "",
};

/** The page's text: what a reader of the rendered page would see, line by line. */
export function htmlToText(html: string): string {
  const text = html
    .replace(COMMENT, " ")
    .replace(HIDDEN_ELEMENT, " ")
    .replace(HIDDEN_UNCLOSED, " ")
    .replace(DECLARATION, " ")
    // Line breaks in the source are spaces on the page; block elements make the lines.
    .replace(/\s+/g, " ")
    .replace(BLOCK_TAG, "\n")
    .replace(TAG, "");
  return collapseWhitespace(decodeEntities(text));
}

/** The text of the page's `<title>`, if it has one. */
export function htmlTitle(html: string): string | undefined {
  const match = TITLE.exec(html);
  if (!match) return undefined;
  const title = collapseWhitespace(decodeEntities(match[1]!.replace(TAG, ""))).replace(/\n/g, " ");
  return title || undefined;
}

/** Decodes named (the common ones), decimal and hexadecimal character references. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z][a-zA-Z0-9]*);?/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const hex = ref[1] === "x" || ref[1] === "X";
      const code = parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10);
      // NUL, surrogates and values past Unicode are replaced, as browsers do.
      const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return valid ? String.fromCodePoint(code) : "\ufffd";
    }
    const named = NAMED_ENTITIES[ref] ?? NAMED_ENTITIES[ref.toLowerCase()];
    return named ?? whole;
  });
}

function collapseWhitespace(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t\f\v\r\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
