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
 * that measured ~0.5 ms, where copying the bytes takes ~0.01. A body the server read in one
 * chunk (a 47 KB Claude Code request is) has all its unchanged values sent as its bytes: they
 * are found by scanning the bytes, where placing the text's values in them would encode it.
 */

import { ChunkedBytes } from "./chunked_bytes.ts";
import {
  elementByteSpans,
  elementSpans,
  type Span,
  topLevelByteSpans,
  topLevelSpans,
} from "./json_spans.ts";
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

interface RawBody {
  readonly text: string;
  readonly parsed: Readonly<Record<string, unknown>>;
  /** The bytes the text was decoded from, when they were kept. */
  readonly bytes: ChunkedBytes | undefined;
  /** The same bytes when they came in one chunk: their values are found in them. */
  readonly whole: Uint8Array | undefined;
  /** Filled on first use; null when the text cannot be split safely (duplicate keys). */
  spans?: Map<string, Span> | null;
  /** The spans are places in `whole`, not in the text: every one is copied as bytes. */
  spansInBytes?: boolean;
  /** The key of the largest span, whose bytes are copied, when it is half the text or more. */
  largest?: string;
  /** Filled on first use: the largest span's place in `bytes`, or null when unknown. */
  inBytes?: BytePiece | null;
}

// Below this a body's own serialisation costs less than finding its spans.
const MIN_RAW_CHARS = 16 * 1024;
// Bytes in several chunks below this are not kept past the read: placing a value in them encodes
// the text around it, and below this that costs about what copying saves. A body in one chunk
// (the server reads one of up to 64 KiB with a declared length into one buffer) is kept whatever
// its size: its values are found in the bytes themselves, encoding nothing.
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
  const whole = chunks?.length === 1 ? chunks[0] : undefined;
  const copied = chunks && (whole || text.length >= MIN_COPIED_CHARS);
  const bytes = copied ? new ChunkedBytes(chunks) : undefined;
  const raw: RawBody = { text, parsed, bytes, whole };
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
 * client's bytes when they were kept and its place in them is known for sure, and every one is
 * when the bytes came in one chunk. A long array (a conversation's messages) is written element
 * by element: many small strings come from memory the runtime reuses, where one 800 KB string
 * needs fresh pages (measured 2-4× faster, serialising and encoding). So is a changed array of a
 * remembered body whose text is long (`system` without the attribution block): the elements ccp
 * kept are slices of the text or bytes, as unchanged values are.
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
    // Object.is: a -0 ccp set to 0 (or 0 to -0) is equal to the client's value but not its text.
    if (span && Object.is(span.value, value)) {
      const bytes = key === raw!.largest ? bytesOf(raw!) : undefined;
      pieces.push(name, bytes ?? pieceOf(raw!, span));
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
    pieces.push(element ? pieceOf(raw!, element) : JSON.stringify(values[i]) ?? "null");
  }
}

/** The client's text or bytes of a span. */
function pieceOf(raw: RawBody, span: Span): JsonPiece {
  const { start, end } = span;
  return raw.spansInBytes ? { bytes: raw.bytes!, start, end } : raw.text.slice(start, end);
}

/**
 * The object elements of a top-level array that ccp changed (Claude Code's `system` without its
 * attribution block, or the messages of a late turn): each is still the very object JSON.parse
 * made as long as ccp kept it, so, like an unchanged top-level value, its text says what it says.
 * Only when the array's text is compact: its elements' text is then the bytes JSON.stringify
 * writes, which a spaced body's elements have always been sent as. Found in the bytes, every kept element is copied. In the text, only those of a short array are
 * sliced: most of a conversation's messages are ASCII, which JSON.stringify writes as one-byte
 * strings that encode several times faster than slices of a two-byte text (a 1.6 MB late turn
 * whose last message changed measured 1.3 ms serialised again, 1.7 ms sliced), where Claude Code's
 * system prompt holds em dashes, two-byte either way.
 */
function kept(raw: RawBody | undefined, span: Span | undefined): Map<unknown, Span> | null {
  if (!raw || !span) return null;
  if (span.elements === undefined) {
    const value = span.value;
    const long = Array.isArray(value) && span.compact === true &&
      span.end - span.start >= MIN_ELEMENTS_CHARS;
    if (!long) span.elements = null;
    else if (raw.spansInBytes) span.elements = elementByteSpans(raw.whole!, span.start, value);
    else if (value.length < SPLIT_ARRAY_LENGTH) {
      span.elements = elementSpans(raw.text, span.start, value);
    } else span.elements = null;
  }
  return span.elements;
}

/**
 * The body's spans: in its bytes when they came in one chunk and are valid UTF-8 (see
 * {@link bytesOf}), else in its text.
 */
function findSpans(raw: RawBody): void {
  const { whole, text } = raw;
  if (whole && !text.includes("\uFFFD")) {
    const bom = whole[0] === 0xef && whole[1] === 0xbb && whole[2] === 0xbf ? 3 : 0;
    raw.spans = topLevelByteSpans(whole, bom, raw.parsed);
    raw.spansInBytes = true;
    return;
  }
  const spans = raw.spans = topLevelSpans(text, raw.parsed);
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
