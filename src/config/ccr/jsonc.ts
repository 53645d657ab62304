/** Reads JSON that may hold comments and trailing commas, as claude-code-router's own loader accepts. */

/** Index just past the JSON string starting at `at` (a `"`), escapes included. */
function stringEnd(text: string, at: number): number {
  let j = at + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
  return j + 1;
}

/** Replaces `//` and `/* *\/` comments with spaces (newlines kept, so errors name the same line). */
function blankComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    const two = text.slice(i, i + 2);
    const end = text[i] === '"'
      ? stringEnd(text, i)
      : two === "//"
      ? (text.indexOf("\n", i) + 1 || text.length + 1) - 1
      : two === "/*"
      ? (text.indexOf("*/", i + 2) + 1 || text.length - 1) + 1
      : i + 1;
    const piece = text.slice(i, end);
    out += two === "//" || two === "/*" ? piece.replace(/[^\n]/g, " ") : piece;
    i = end;
  }
  return out;
}

/** Whitespace and a closing bracket, matched from lastIndex. */
const CLOSER = /\s*[}\]]/y;

/** Drops each comma that only whitespace separates from a closing `}` or `]`, outside strings. */
function dropTrailingCommas(text: string): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    if (text[i] === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    CLOSER.lastIndex = i + 1;
    if (!(text[i] === "," && CLOSER.test(text))) out += text[i];
    i++;
  }
  return out;
}

/** Parses `text` as JSON with comments and trailing commas; throws SyntaxError as JSON.parse does. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(dropTrailingCommas(blankComments(text.replace(/^\uFEFF/, ""))));
}
