/** Writing an upstream body's pieces (see raw_json.ts) as one array of UTF-8 bytes. */

import type { JsonPiece } from "./raw_json.ts";
import { withScratch } from "./scratch_bytes.ts";

const encoder = new TextEncoder();

/**
 * Calls `use` with `pieces`, joined, as UTF-8 bytes lent for the call only. fetch encodes a
 * string body as slowly as TextEncoder.encode into fresh bytes (measured ~3 ms for an 800 KB
 * body, ~0.8 ms when warm), while encodeInto writes into memory already mapped. Its speed depends
 * on the text: ~0.015 ms for 800 KB of pure ASCII, but ~0.5-0.6 ms for a real Claude Code body,
 * whose few em dashes make V8 hold the decoded body, and every slice of it, as two-byte text;
 * the client's own bytes, where they are pieces, are copied instead (~0.01 ms for 800 KB).
 * Writing the pieces one after the other never builds their joined string (a fresh 800 KB
 * string costs as much again). The bytes are written into a reused scratch buffer (see
 * scratch_bytes.ts), sized for ASCII first and for the worst case (3 bytes per UTF-16 unit) if
 * that did not fit.
 */
export function withUtf8<T>(
  pieces: readonly JsonPiece[],
  use: (bytes: Uint8Array<ArrayBuffer>) => T,
): T {
  let chars = 0;
  let copied = 0;
  for (const piece of pieces) {
    if (typeof piece === "string") chars += piece.length;
    else copied += piece.end - piece.start;
  }
  return withScratch(chars + copied, (buffer) => {
    const bytes = writeAll(pieces, buffer);
    if (bytes) return use(bytes);
    return withScratch(chars * 3 + copied, (wide) => use(writeAll(pieces, wide)!));
  });
}

function writeAll(pieces: readonly JsonPiece[], into: Uint8Array<ArrayBuffer>) {
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece !== "string") {
      const { start, end } = piece;
      if (at + end - start > into.byteLength) return undefined;
      piece.bytes.copyInto(start, end, into, at);
      at += end - start;
      continue;
    }
    // The one-character pieces between values (a comma, a bracket) are written as their byte.
    const code = piece.length === 1 ? piece.charCodeAt(0) : 0x80;
    if (code < 0x80) {
      if (at >= into.byteLength) return undefined;
      into[at++] = code;
      continue;
    }
    const { read, written } = encoder.encodeInto(piece, at === 0 ? into : into.subarray(at));
    if (read !== piece.length) return undefined;
    at += written;
  }
  return into.subarray(0, at);
}
