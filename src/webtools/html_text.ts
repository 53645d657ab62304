/**
 * HTML reduced to readable text for a model: no scripts, styles or markup, entities decoded,
 * block elements on their own lines, whitespace collapsed. A single forward scan, as a browser
 * reads markup, is enough because the goal is text for reading, not a DOM; each step is ordered
 * so that decoded text can never be read again as markup. Every step takes time linear in the
 * page: the server waits for it, and a page may be written to make backtracking patterns crawl.
 */

// Elements whose content is never text for a reader.
const HIDDEN = "script|style|noscript|template|svg|math|iframe|object|canvas|head";
const HIDDEN_START = new RegExp(`<(${HIDDEN})(?![A-Za-z0-9-])`, "gi");
const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
// Tags whose start or end breaks a line.
const BLOCK_TAGS = new Set(
  ("address article aside blockquote br dd div dl dt fieldset figcaption figure footer form " +
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul")
    .split(" "),
);
const TITLE_START = /<title(?![A-Za-z0-9-])/i;

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  trade: "\u2122",
  hellip: "\u2026",
  mdash: "\u2014",
  ndash: "\u2013",
  lsquo: "\u2018",
  rsquo: "\u2019",
  ldquo: "\u201c",
  rdquo: "\u201d",
  laquo: "«",
  raquo: "»",
  middot: "·",
  bull: "\u2022",
  euro: "\u20ac",
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
  // Line breaks in the source are spaces on the page; block elements make the lines.
  const text = withoutTags(withoutHidden(html.replace(COMMENT, " ")).replace(/\s+/g, " "));
  return collapseWhitespace(decodeEntities(text));
}

/** The text of the page's `<title>`, if it has one. */
export function htmlTitle(html: string): string | undefined {
  const start = TITLE_START.exec(html);
  if (!start) return undefined;
  const open = html.indexOf(">", start.index);
  if (open < 0) return undefined;
  const close = /<\/title\s*>/gi;
  close.lastIndex = open + 1;
  const end = close.exec(html);
  if (!end) return undefined;
  const inner = withoutTags(html.slice(open + 1, end.index));
  const title = collapseWhitespace(decodeEntities(inner)).replace(/\n/g, " ");
  return title || undefined;
}

// Each hidden element goes from its start tag to its end tag; one left open (`<script>` to the
// end of a cut page) hides the rest. Each part of the page is looked at once.
function withoutHidden(html: string): string {
  let out = "";
  let from = 0;
  HIDDEN_START.lastIndex = 0;
  for (let start = HIDDEN_START.exec(html); start; start = HIDDEN_START.exec(html)) {
    out += html.slice(from, start.index) + " ";
    const close = new RegExp(`<\\/${start[1]}\\s*>`, "gi");
    close.lastIndex = start.index + start[0].length;
    const end = close.exec(html);
    if (!end) return out;
    from = HIDDEN_START.lastIndex = end.index + end[0].length;
  }
  return out + html.slice(from);
}

// Tags out, block tags as line breaks. A tag starts at `<` and a letter (or `</`, `<!`, `<?`) and
// ends at the next `>` outside quotes; one cut by the end of the page is not shown. Any other
// `<` is text.
function withoutTags(text: string): string {
  let out = "";
  let from = 0;
  let at = text.indexOf("<");
  while (at >= 0) {
    const kind = tagKind(text, at);
    if (kind === undefined) {
      at = text.indexOf("<", at + 1);
      continue;
    }
    out += text.slice(from, at);
    const end = tagEnd(text, at, kind === "declaration");
    if (end < 0) return out;
    out += kind === "block" ? "\n" : kind === "declaration" ? " " : "";
    from = end;
    at = text.indexOf("<", end);
  }
  return out + text.slice(from);
}

const isLetter = (code: number) => (code | 0x20) >= 97 && (code | 0x20) <= 122;

function tagKind(text: string, at: number): "block" | "inline" | "declaration" | undefined {
  const next = text.charCodeAt(at + 1);
  if (next === 33 /* ! */ || next === 63 /* ? */) return "declaration";
  const nameAt = next === 47 /* / */ ? at + 2 : at + 1;
  if (!isLetter(text.charCodeAt(nameAt))) return undefined;
  let nameEnd = nameAt + 1;
  while (nameEnd < text.length && /[A-Za-z0-9]/.test(text[nameEnd]!)) nameEnd++;
  return BLOCK_TAGS.has(text.slice(nameAt, nameEnd).toLowerCase()) ? "block" : "inline";
}

// Just past the `>` that ends the tag at `at`, or -1 when the page ends first.
function tagEnd(text: string, at: number, plain: boolean): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i];
    if (c === ">") return i + 1;
    if (!plain && (c === '"' || c === "'")) {
      i = text.indexOf(c, i + 1);
      if (i < 0) return -1;
    }
  }
  return -1;
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
