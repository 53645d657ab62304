/**
 * Where the values of a JSON body are in its text, or in the bytes it was decoded from, without
 * parsing it again: the span of each top-level value, and of the elements of a top-level array.
 * The text is valid JSON (it parsed), so a scan that skips strings and counts brackets finds each
 * value's end.
 */

/** Where one value of the client's text is, and what JSON.parse made of it. */
export interface Span {
  readonly value: unknown;
  readonly start: number;
  readonly end: number;
  /**
   * No white space between its tokens, so an element's text is what JSON.stringify writes of what
   * JSON.parse made of it (for a body that JSON.stringify wrote, as Claude Code's is).
   */
  readonly compact?: boolean;
  /**
   * A long array's elements that are objects, by the object JSON.parse made: filled on first use,
   * null when the array is short or its elements could not be told apart.
   */
  elements?: Map<unknown, Span> | null;
}

/**
 * The span of each top-level value of `text` (valid JSON, since it parsed to `parsed`), or null
 * when a key appears twice: JSON.parse kept the last, and the text must not be trusted to say
 * which.
 */
export function topLevelSpans(
  text: string,
  values: Readonly<Record<string, unknown>>,
): Map<string, Span> | null {
  return keySpans(textScan(text), 0, values);
}

/**
 * The span of each object element of the array whose text opens at `start` (a bracket), or null
 * when the text's elements are not as many as JSON.parse made.
 */
export function elementSpans(
  text: string,
  start: number,
  values: readonly unknown[],
): Map<unknown, Span> | null {
  return objectSpans(textScan(text), start, values);
}

/**
 * {@link topLevelSpans} on the client's bytes (valid UTF-8, so every byte of a multi-byte
 * character is past 0x7f and none is read as JSON's punctuation), from `from` (past a byte order
 * mark): the spans are places in the bytes.
 */
export function topLevelByteSpans(
  bytes: Uint8Array,
  from: number,
  values: Readonly<Record<string, unknown>>,
): Map<string, Span> | null {
  return keySpans(byteScan(bytes), from, values);
}

/** {@link elementSpans} on the client's bytes. */
export function elementByteSpans(
  bytes: Uint8Array,
  start: number,
  values: readonly unknown[],
): Map<unknown, Span> | null {
  return objectSpans(byteScan(bytes), start, values);
}

/**
 * A body as the two walks above read it, text or bytes alike. The walks take a few steps a key or
 * an element; the scans a character at a time stay written once for each form, where a call per
 * character would cost the request path.
 */
interface Scan {
  readonly length: number;
  /** The code unit (text) or byte at `i`; past the end, no punctuation's code. */
  at(i: number): number | undefined;
  skipSpace(i: number): number;
  stringEnd(i: number): number;
  valueEnd(i: number): number;
  /** The text from `start` to `end` (a key with its quotes). */
  text(start: number, end: number): string;
}

function keySpans(
  scan: Scan,
  from: number,
  values: Readonly<Record<string, unknown>>,
): Map<string, Span> | null {
  const spans = new Map<string, Span>();
  let i = scan.skipSpace(from);
  if (scan.at(i) !== OPEN_BRACE) return null;
  i = scan.skipSpace(i + 1);
  while (scan.at(i) === QUOTE) {
    const keyEnd = scan.stringEnd(i);
    const rawKey = scan.text(i, keyEnd);
    const key = rawKey.includes("\\") ? JSON.parse(rawKey) as string : rawKey.slice(1, -1);
    i = scan.skipSpace(keyEnd);
    i = scan.skipSpace(i + 1); // past the colon
    const start = i;
    spaced = false;
    const end = scan.valueEnd(i);
    if (spans.has(key)) return null;
    spans.set(key, { value: values[key], start, end, compact: !spaced });
    i = scan.skipSpace(end);
    if (scan.at(i) === COMMA) i = scan.skipSpace(i + 1);
  }
  return spans;
}

function objectSpans(
  scan: Scan,
  start: number,
  values: readonly unknown[],
): Map<unknown, Span> | null {
  const spans = new Map<unknown, Span>();
  let count = 0;
  let i = scan.skipSpace(start + 1);
  while (i < scan.length && scan.at(i) !== CLOSE_BRACKET) {
    const end = scan.valueEnd(i);
    const value = values[count++];
    if (typeof value === "object" && value !== null) spans.set(value, { value, start: i, end });
    i = scan.skipSpace(end);
    if (scan.at(i) === COMMA) i = scan.skipSpace(i + 1);
  }
  return count === values.length ? spans : null;
}

function textScan(text: string): Scan {
  return {
    length: text.length,
    at: (i) => text.charCodeAt(i),
    skipSpace: (i) => skipSpace(text, i),
    stringEnd: (i) => stringEnd(text, i),
    valueEnd: (i) => valueEnd(text, i),
    text: (start, end) => text.slice(start, end),
  };
}

function byteScan(bytes: Uint8Array): Scan {
  return {
    length: bytes.length,
    at: (i) => bytes[i],
    skipSpace: (i) => skipByteSpace(bytes, i),
    stringEnd: (i) => byteStringEnd(bytes, i),
    valueEnd: (i) => byteValueEnd(bytes, i),
    text: (start, end) => decoder.decode(bytes.subarray(start, end)),
  };
}

// Set by a value's scan that met white space between its tokens.
let spaced = false;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The index just past the string that opens at `i` (a quote). */
function stringEnd(text: string, i: number): number {
  let at = i + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return text.length;
    // A quote after an odd run of backslashes is escaped.
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** The index just past the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    let j = i;
    for (;;) {
      const c = text.charCodeAt(j);
      if (
        c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20 || j >= text.length
      ) {
        return j;
      }
      j++;
    }
  }
  let depth = 0;
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) {
      j = stringEnd(text, j);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    } else if (c <= 0x20) spaced = true;
    j++;
    if (j >= text.length) return j;
  }
}

const decoder = new TextDecoder();

function skipByteSpace(bytes: Uint8Array, i: number): number {
  for (;;) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

function byteStringEnd(bytes: Uint8Array, i: number): number {
  let at = i + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote < 0) return bytes.length;
    let slashes = 0;
    while (bytes[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

function byteValueEnd(bytes: Uint8Array, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return byteStringEnd(bytes, i);
  let j = i;
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    for (;;) {
      const c = bytes[j];
      if (c === undefined || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) {
        return j;
      }
      j++;
    }
  }
  let depth = 0;
  for (;;) {
    const c = bytes[j]!;
    if (c === QUOTE) {
      j = byteStringEnd(bytes, j);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    } else if (c <= 0x20) spaced = true;
    j++;
    if (j >= bytes.length) return j;
  }
}
