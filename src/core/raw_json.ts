/**
 * An upstream body's JSON in pieces, without re-serialising what ccp left unchanged of the
 * client's body and without ever building one large string.
 *
 * A passthrough request goes upstream as the client's body with a few top-level fields changed
 * (the model name, a dropped attribution block); `messages` and `tools`, nearly all of a Claude
 * Code body, are the parsed client values themselves. Serialising those again cost an 800 KB
 * turn ~2 ms, mostly in fresh memory for the new string; their text is still in the client's
 * body. Request changes are copy-on-write throughout ccp, so a top-level value that is still
 * the very object JSON.parse made still says what its text says.
 *
 * The largest such value (the messages) goes as the client's own bytes: a real Claude Code body
 * holds a few em dashes, so V8 keeps its text at two bytes a character, and encoding 800 KB of
 * that measured ~0.5 ms, where copying the bytes takes ~0.01.
 */

import { ChunkedBytes } from "./chunked_bytes.ts";
import { isRecord } from "./json.ts";
import { withScratch } from "./scratch_bytes.ts";

/** Bytes of the client's body, from `start` to `end`, sent as they came. */
export interface BytePiece {
  readonly bytes: ChunkedBytes;
  readonly start: number;
  readonly end: number;
}

/** A piece of an upstream body: text to encode, or the client's bytes to copy. */
export type JsonPiece = string | BytePiece;

/** Where one value of the client's text is, and what JSON.parse made of it. */
interface Span {
  readonly value: unknown;
  readonly start: number;
  readonly end: number;
  /**
   * A long array's elements that are objects, by the object JSON.parse made: filled on first use,
   * null when the array is short or its elements could not be told apart.
   */
  elements?: Map<unknown, Span> | null;
}

interface RawBody {
  readonly text: string;
  readonly parsed: Readonly<Record<string, unknown>>;
  /** The bytes the text was decoded from, when they were kept. */
  readonly bytes: ChunkedBytes | undefined;
  /** Filled on first use; null when the text cannot be split safely (duplicate keys). */
  spans?: Map<string, Span> | null;
  /** The key of the largest span, whose bytes are copied, when it is half the text or more. */
  largest?: string;
  /** Filled on first use: the largest span's place in `bytes`, or null when unknown. */
  inBytes?: BytePiece | null;
}

// Below this a body's own serialisation costs less than finding its spans.
const MIN_RAW_CHARS = 16 * 1024;
// Below this encoding the text again costs under ~0.05 ms, within the noise of a request: the
// read bytes are not kept past the read (a 47 KB body, in alternated runs, was no cheaper).
const MIN_COPIED_CHARS = 128 * 1024;
// Arrays shorter than this are serialised whole: their string is small either way.
const SPLIT_ARRAY_LENGTH = 16;
// A changed array whose text is at least this long is written element by element, the elements
// kept from the client's as slices of its text: below it, finding them costs more than the
// serialisation they save.
const MIN_ELEMENTS_CHARS = 2048;
// Found through any of the body's object values, so a shallow variant of the body, which keeps
// most of them, finds its source.
const bodies = new WeakMap<object, RawBody>();
// The bodies whose text is kept, so forgetting one that never was costs a lookup.
const remembered = new WeakSet<object>();

function objectValues(record: Readonly<Record<string, unknown>>): object[] {
  const out: object[] = [];
  for (const key in record) {
    const value = record[key];
    if (typeof value === "object" && value !== null) out.push(value);
  }
  return out;
}

/**
 * Keeps `text` as the source of `parsed` (a large object body) until {@link forgetRawJson}, with
 * `chunks`, the bytes `text` was decoded from as they were read, when given and the text is long
 * enough for copying them to pay: they must not change until then.
 */
export function rememberRawJson(
  parsed: unknown,
  text: string,
  chunks?: readonly Uint8Array[],
): void {
  if (text.length < MIN_RAW_CHARS || !isRecord(parsed)) return;
  const copied = chunks && text.length >= MIN_COPIED_CHARS;
  const raw: RawBody = { text, parsed, bytes: copied ? new ChunkedBytes(chunks) : undefined };
  remembered.add(parsed);
  for (const value of objectValues(raw.parsed)) bodies.set(value, raw);
}

/** Drops the text kept for `parsed`, the object it was remembered for (once nothing more is sent upstream). */
export function forgetRawJson(parsed: unknown): void {
  // A small body was never remembered: nothing to walk.
  if (!isRecord(parsed) || !remembered.delete(parsed)) return;
  for (const value of objectValues(parsed)) bodies.delete(value);
}

/**
 * `JSON.stringify(out)` as pieces that join into its UTF-8, meant to be written one after the
 * other: joining them would build the large string this avoids. A value's text is a piece of its
 * own, never joined to its name or a comma: the joined string would be copied whole, at two bytes
 * a character when the text has one past U+00FF, the first time it is encoded. Every top-level
 * value of `out` that is still the value JSON.parse made of a remembered body's text (the same
 * object, or an equal primitive) is a slice of that text, when `out` is that body or a shallow
 * variant of it (those copied values keep the client's spacing); the largest is a slice of the
 * client's bytes when they were kept and its place in them is known for sure. A long array (a
 * conversation's messages) is written element by element: many small strings come from memory the
 * runtime reuses, where one 800 KB string needs fresh pages (measured 2-4× faster, serialising and
 * encoding). So is a changed array of a remembered body whose text is long (`system` without the
 * attribution block): the elements ccp kept are slices of the text, as unchanged values are.
 */
export function jsonPieces(out: Readonly<Record<string, unknown>>): JsonPiece[] {
  let raw: RawBody | undefined;
  for (const value of objectValues(out)) if ((raw = bodies.get(value))) break;
  if (raw && raw.spans === undefined) findSpans(raw);
  const spans = raw?.spans;
  // The usual small body: nothing to copy and nothing to split.
  if (!spans && !Object.values(out).some(isLongArray)) return [JSON.stringify(out)];
  const pieces: JsonPiece[] = [];
  let head = "{";
  for (const key of Object.keys(out)) {
    const value = out[key];
    const span = spans?.get(key);
    const name = `${head}${JSON.stringify(key)}:`;
    if (span && span.value === value) {
      const bytes = key === raw!.largest ? bytesOf(raw!) : undefined;
      pieces.push(name, bytes ?? raw!.text.slice(span.start, span.end));
    } else if (Array.isArray(value) && (isLongArray(value) || kept(raw, span))) {
      pieces.push(name, "[");
      pushElements(pieces, value, raw, kept(raw, span));
      pieces.push("]");
    } else {
      const text = JSON.stringify(value);
      // A property with no JSON form (undefined, functions) is left out.
      if (text === undefined) continue;
      pieces.push(name, text);
    }
    head = ",";
  }
  pieces.push(head === "{" ? "{}" : "}");
  return pieces;
}

function pushElements(
  pieces: JsonPiece[],
  values: readonly unknown[],
  raw: RawBody | undefined,
  kept: Map<unknown, Span> | null,
): void {
  for (let i = 0; i < values.length; i++) {
    if (i > 0) pieces.push(",");
    const element = kept?.get(values[i]);
    // In an array, what has no JSON form (undefined, functions) is written as null.
    pieces.push(
      element ? raw!.text.slice(element.start, element.end) : JSON.stringify(values[i]) ?? "null",
    );
  }
}

/**
 * The object elements of a top-level array that ccp changed (Claude Code's `system` without its
 * attribution block, or the messages of a late turn): each is still the very object JSON.parse
 * made as long as ccp kept it, so, like an unchanged top-level value, its text says what it says.
 */
function kept(raw: RawBody | undefined, span: Span | undefined): Map<unknown, Span> | null {
  if (!raw || !span) return null;
  if (span.elements === undefined) {
    const long = Array.isArray(span.value) && span.end - span.start >= MIN_ELEMENTS_CHARS;
    span.elements = long ? elementSpans(raw.text, span.start, span.value as unknown[]) : null;
  }
  return span.elements;
}

function findSpans(raw: RawBody): void {
  const spans = raw.spans = topLevelSpans(raw.text, raw.parsed);
  // Finding a span's bytes encodes the text outside it once more: worth it for at least half.
  let size = raw.text.length / 2;
  for (const [key, { start, end }] of spans ?? []) {
    if (end - start >= size) [raw.largest, size] = [key, end - start];
  }
}

/**
 * Where the largest span's text is in the client's bytes, found once: after the UTF-8 of the text
 * before it (and a byte order mark, which decoding drops), and before the UTF-8 of the text after
 * it. Only the text outside it is measured, a small part of a Claude Code body. The bytes are the
 * text's exact UTF-8 only when they are valid UTF-8: decoding writes U+FFFD for each invalid
 * sequence, so a text without one is sure to be (a text with one, even sent as such, is not
 * copied). Null when unsure.
 */
function bytesOf(raw: RawBody): BytePiece | undefined {
  if (raw.inBytes !== undefined) return raw.inBytes ?? undefined;
  const { text, bytes } = raw;
  const span = raw.spans?.get(raw.largest!);
  raw.inBytes = null;
  if (!bytes || !span || text.includes("\uFFFD")) return undefined;
  const bom = bytes.at(0) === 0xef && bytes.at(1) === 0xbb && bytes.at(2) === 0xbf ? 3 : 0;
  const start = bom + utf8Length(text.slice(0, span.start));
  const end = bytes.size - utf8Length(text.slice(span.end));
  // The value's first and last characters are ASCII (a bracket, brace, quote, digit or letter).
  const same = (at: number, i: number) => bytes.at(at) === text.charCodeAt(i);
  if (end <= start || !same(start, span.start) || !same(end - 1, span.end - 1)) return undefined;
  raw.inBytes = { bytes, start, end };
  return raw.inBytes;
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return withScratch(text.length * 3, (buffer) => encoder.encodeInto(text, buffer).written);
}

function isLongArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length >= SPLIT_ARRAY_LENGTH;
}

/**
 * The span of each top-level value of `text` (valid JSON, since it parsed to `parsed`), or null
 * when a key appears twice: JSON.parse kept the last, and the text must not be trusted to say
 * which.
 */
function topLevelSpans(
  text: string,
  values: Readonly<Record<string, unknown>>,
): Map<string, Span> | null {
  const spans = new Map<string, Span>();
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  i = skipSpace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(text, i);
    const rawKey = text.slice(i, keyEnd);
    const key = rawKey.includes("\\") ? JSON.parse(rawKey) as string : rawKey.slice(1, -1);
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // past the colon
    const start = i;
    const end = valueEnd(text, i);
    if (spans.has(key)) return null;
    spans.set(key, { value: values[key], start, end });
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return spans;
}

/**
 * The span of each object element of the array whose text opens at `start` (a bracket), or null
 * when the text's elements are not as many as JSON.parse made.
 */
function elementSpans(
  text: string,
  start: number,
  values: readonly unknown[],
): Map<unknown, Span> | null {
  const spans = new Map<unknown, Span>();
  let count = 0;
  let i = skipSpace(text, start + 1);
  while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
    const end = valueEnd(text, i);
    const value = values[count++];
    if (typeof value === "object" && value !== null) spans.set(value, { value, start: i, end });
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return count === values.length ? spans : null;
}

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
    }
    j++;
    if (j >= text.length) return j;
  }
}
