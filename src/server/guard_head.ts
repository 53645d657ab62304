/**
 * Reading a request head as the connection guard passes it on: the headers that frame its body,
 * the refusals for a head the HTTP server would answer with an empty 400 (or read differently
 * from the guard), and the peer header the guard adds.
 */

import { BODY_TOO_LARGE_HEADER } from "./body.ts";
import type { AnthropicErrorType } from "../core/errors.ts";

/**
 * Header the guard puts on every request: the client end of the TCP connection and the guard's
 * number for the connection (`host:port#n`). The number tells a departure of this connection
 * from one of a later connection that the client's system gave the same port.
 */
export const PEER_HEADER = "x-ccp-peer";

const encoder = new TextEncoder();

/**
 * What a request head says about its body, or why it is refused. `dropBody`: the body is over the
 * size limit, and the guard drops it instead of passing it on (the server gets the head alone).
 */
export type Head =
  | { ok: true; bodyLength: number | "unknown"; bytes: Uint8Array; dropBody?: true }
  | { ok: false; status: number; type: AnthropicErrorType; message: string };

/** Checks a complete request head and adds the peer header; `raw` ends with the blank line. */
export function inspectHead(raw: Uint8Array, peer: string, maxBodyBytes: number): Head {
  // Deno's server also ends a line at a bare LF; the guard reads lines by CRLF. Were the two to
  // read a head differently, they would disagree on where its body ends (and a header hidden
  // behind a bare LF could pose as the peer header): such a head is refused.
  const scan = scanHead(raw);
  if (scan === BARE_LF_FOUND) return bad("Request head has a line that ends in LF without CR");
  const text = scan === ASCII
    ? asciiDecoder.decode(raw.subarray(0, -4))
    : latin1Text(raw).slice(0, -4);
  // Lines left out of what the server gets: a peer header from the client (only the guard says
  // where a client is), and `connection` when a chunked body makes the guard close it. Without
  // any (the usual case) the head goes on as its own bytes with the peer header added. Lines are
  // numbered as `text.split("\r\n")` would number them; the head is split only when one is left
  // out, and otherwise read where its lines lie.
  const dropped = new Set<number>();
  const lengthAt: number[] = [];
  let length: string | undefined;
  let chunked = false;
  let connectionAt = -1;
  let end = text.indexOf("\r\n");
  for (let i = 1; end >= 0; i++) {
    const start = end + 2;
    end = text.indexOf("\r\n", start);
    // Only content-length, connection, transfer-encoding and x-ccp-peer matter here (a name may
    // follow spaces or a tab): the other lines are passed over without being cut apart. (An
    // empty line reads as NaN | 0x20, a space.)
    const first = text.charCodeAt(start) | 0x20;
    if (first !== 0x63 && first !== 0x74 && first !== 0x78 && first !== 0x20 && first !== 0x29) {
      continue;
    }
    const line = text.slice(start, end < 0 ? text.length : end);
    const colon = line.indexOf(":");
    const name = (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
    const value = colon < 0 ? "" : line.slice(colon + 1).trim();
    if (name === PEER_HEADER || name === BODY_TOO_LARGE_HEADER) dropped.add(i);
    if (name === "connection") connectionAt = i;
    if (name === "content-length") {
      if (length !== undefined && length !== value) {
        return bad("Conflicting Content-Length headers");
      }
      length = value;
      lengthAt.push(i);
    }
    if (name === "transfer-encoding") chunked = true;
  }
  if (length !== undefined && chunked) {
    return bad("Content-Length and Transfer-Encoding together are not allowed");
  }
  if (length !== undefined && !/^\d{1,15}$/.test(length)) {
    return bad(`Content-Length "${length.slice(0, 40)}" is not a number of bytes`);
  }
  const declared = length === undefined ? (chunked ? "unknown" : 0) : Number(length);
  const peerLine = `${PEER_HEADER}: ${peer}`;
  if (typeof declared === "number" && declared > maxBodyBytes) {
    // Refused by the server, not here, so the refusal is logged, counted in /metrics and recorded
    // in the usage ledger as one whose chunked body ran over the limit: the server gets the head
    // with no body and the declared size in a header of the guard's, and closes the connection
    // after its answer. The guard drops the body without reading it into memory.
    for (const i of [...lengthAt, connectionAt]) dropped.add(i);
    const kept = text.split("\r\n").filter((_, i) => !dropped.has(i));
    kept.push(
      "content-length: 0",
      `${BODY_TOO_LARGE_HEADER}: ${declared}`,
      "connection: close",
      peerLine,
    );
    const bytes = latin1Bytes(`${kept.join("\r\n")}\r\n\r\n`);
    return { ok: true, bodyLength: 0, bytes, dropBody: true };
  }
  if (declared === "unknown" || dropped.size > 0) {
    // The guard does not follow chunk framing, so it cannot find the next request's head on this
    // connection: the server closes it after the answer, and the client's next request comes on
    // a new connection whose head the guard checks.
    if (declared === "unknown" && connectionAt >= 0) dropped.add(connectionAt);
    const kept = text.split("\r\n").filter((_, i) => !dropped.has(i));
    if (declared === "unknown") kept.push("connection: close");
    kept.push(peerLine);
    return { ok: true, bodyLength: declared, bytes: latin1Bytes(`${kept.join("\r\n")}\r\n\r\n`) };
  }
  // The head up to its last header's line end, then the peer header and the blank line.
  const added = encoder.encode(`${peerLine}\r\n\r\n`);
  const bytes = new Uint8Array(raw.byteLength - 2 + added.byteLength);
  bytes.set(raw.subarray(0, raw.byteLength - 2));
  bytes.set(added, raw.byteLength - 2);
  return { ok: true, bodyLength: declared, bytes };
}

/**
 * A head's bytes as text, one character per byte (code 0-255), and back: a header value with
 * bytes past ASCII must reach the server as it came. (TextDecoder's "latin1" is windows-1252,
 * which maps 0x80-0x9F elsewhere, and UTF-8 would re-encode the rest.)
 */
export function latin1Text(bytes: Uint8Array): string {
  // All ASCII (the usual head): the native UTF-8 decoder reads it exactly, ~30× faster than
  // building the string a character at a time.
  if (isAscii(bytes)) return asciiDecoder.decode(bytes);
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

const asciiDecoder = new TextDecoder();

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

const ASCII = 0;
const NOT_ASCII = 1;
const BARE_LF_FOUND = 2;

/**
 * One pass over a head's bytes: an LF not after a CR anywhere, else whether every byte is ASCII
 * (its text is then decoded natively rather than made a character at a time). The usual ASCII
 * head is read by the first loop alone.
 */
function scanHead(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte > 0x7f) return bareLfFrom(bytes, i + 1) ? BARE_LF_FOUND : NOT_ASCII;
    if (byte === 10 && (i === 0 || bytes[i - 1] !== 13)) return BARE_LF_FOUND;
  }
  return ASCII;
}

/** Whether an LF not after a CR comes at or after `start` (at least 1). */
function bareLfFrom(bytes: Uint8Array, start: number): boolean {
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] !== 13) return true;
  }
  return false;
}

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function bad(message: string): Head {
  return { ok: false, status: 400, type: "invalid_request_error", message };
}

/** Where a head ends (just past its blank line) in `buffer[0, length)`, or -1. */
export function headEnd(buffer: Uint8Array, length: number): number {
  for (let i = 3; i < length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}
