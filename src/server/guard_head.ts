/**
 * Reading a request head as the connection guard passes it on: the headers that frame its body,
 * the refusals for a head the HTTP server would answer with an empty 400 (or read differently
 * from the guard), and the peer header the guard adds.
 */

import { BODY_TOO_LARGE_HEADER } from "./body.ts";
import type { AnthropicErrorType } from "../core/errors.ts";
import { headSyntax } from "./guard_syntax.ts";

/**
 * Header the guard puts on every request: the client end of the TCP connection and the guard's
 * number for the connection (`host:port#n`). The number tells a departure of this connection
 * from one of a later connection that the client's system gave the same port.
 */
export const PEER_HEADER = "x-ccp-peer";

const encoder = new TextEncoder();

// The lengths of the names inspectHead reads: any other line is passed over unread.
const NAME_LENGTHS = new Set(
  [PEER_HEADER, BODY_TOO_LARGE_HEADER, "connection", "host", "content-length", "transfer-encoding"]
    .map((name) => name.length),
);

/**
 * What a request head says about its body, or why it is refused. `dropBody`: the body is over the
 * size limit, and the guard drops it instead of passing it on (the server gets the head alone).
 */
export type Head =
  | { ok: true; bodyLength: number | "unknown"; bytes: Uint8Array; dropBody?: true }
  | { ok: false; status: number; type: AnthropicErrorType; message: string };

/** Checks a complete request head and adds the peer header; `raw` ends with the blank line. */
export function inspectHead(raw: Uint8Array, peer: string, maxBodyBytes: number): Head {
  // Deno's server answers a head it cannot read with an empty 400; it also ends a line at a bare
  // LF, where the guard reads lines by CRLF. Were the two to read a head differently, they would
  // disagree on where its body ends (and a header hidden behind a bare LF could pose as the peer
  // header). Either way, the head is refused here with its fault named.
  const syntax = headSyntax(raw);
  if (typeof syntax === "string") return bad(syntax);
  const text = syntax.ascii
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
  let transferEncoding: string | undefined;
  let hosts = 0;
  let connectionAt = -1;
  let end = text.indexOf("\r\n");
  for (let i = 1; end >= 0; i++) {
    const start = end + 2;
    end = text.indexOf("\r\n", start);
    // Only content-length, connection, host, transfer-encoding and x-ccp-* matter here: the
    // other lines are passed over without being cut apart, told by their name's first letter and
    // length (a Claude Code head has a dozen x-stainless-* and other names that start alike).
    const first = text.charCodeAt(start) | 0x20;
    if (first !== 0x63 && first !== 0x68 && first !== 0x74 && first !== 0x78) continue;
    const lineEnd = end < 0 ? text.length : end;
    const nameEnd = text.indexOf(":", start);
    if (!NAME_LENGTHS.has((nameEnd < 0 || nameEnd > lineEnd ? lineEnd : nameEnd) - start)) continue;
    const line = text.slice(start, lineEnd);
    const colon = line.indexOf(":");
    const name = (colon < 0 ? line : line.slice(0, colon)).toLowerCase();
    const value = colon < 0 ? "" : trimSpace(line.slice(colon + 1));
    if (name === PEER_HEADER || name === BODY_TOO_LARGE_HEADER) dropped.add(i);
    if (name === "connection") connectionAt = i;
    if (name === "host") hosts++;
    if (name === "content-length") {
      if (length !== undefined && length !== value) {
        return bad("Conflicting Content-Length headers");
      }
      length = value;
      lengthAt.push(i);
    }
    if (name === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    }
  }
  // HTTP/1.1 names one host; HTTP/1.0 did not say.
  if (hosts > 1 && !syntax.http10) return bad("Request head has more than one Host header");
  const chunked = transferEncoding !== undefined;
  if (length !== undefined && chunked) {
    return bad("Content-Length and Transfer-Encoding together are not allowed");
  }
  if (chunked) {
    const fault = codingsFault(transferEncoding!, syntax.http10);
    if (fault) return bad(fault);
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
 * Why the server would refuse a body's Transfer-Encoding (all its lines as one list), if it would:
 * it reads a body only when its last coding is chunked, named once.
 */
function codingsFault(codings: string, http10: boolean): string | undefined {
  if (http10) return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
  const shown = `Transfer-Encoding "${codings.slice(0, 60)}"`;
  const list = codings.split(",").map((coding) => trimSpace(coding).toLowerCase());
  if (list.includes("")) return `${shown} has an empty coding`;
  if (list.at(-1) !== "chunked") {
    return `${shown} is not supported: its last coding must be chunked`;
  }
  if (list.indexOf("chunked") < list.length - 1) return `${shown} names chunked more than once`;
  return undefined;
}

/** `text` without the spaces and tabs around it (and nothing else: the server trims no more). */
function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === " " || text[start] === "\t")) start++;
  while (end > start && (text[end - 1] === " " || text[end - 1] === "\t")) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
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

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function bad(message: string): Head {
  return { ok: false, status: 400, type: "invalid_request_error", message };
}

/**
 * Where a head ends (just past its blank line) in `buffer[0, length)`, or -1. A blank line ended
 * by a bare LF ends it too: the server reads such a head, and the guard refuses it at once, naming
 * the bare LF, instead of waiting out the head limit for a CRLF that never comes.
 */
export function headEnd(buffer: Uint8Array, length: number): number {
  for (let i = 1; i < length; i++) {
    if (buffer[i] !== 10) continue;
    const before = buffer[i - 1];
    if (before === 10 || (before === 13 && i >= 2 && buffer[i - 2] === 10)) return i + 1;
  }
  return -1;
}

/**
 * How many bytes of empty lines (CRLF, or a bare LF) begin `data`: the server passes them over
 * before a request line (a client may send a CRLF after a body), and so does the guard, which
 * would otherwise take two of them for an empty head.
 */
export function emptyLinesAt(data: Uint8Array): number {
  let i = 0;
  for (;;) {
    if (data[i] === 10) i++;
    else if (data[i] === 13 && data[i + 1] === 10) i += 2;
    else return i;
  }
}
