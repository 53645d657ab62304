/**
 * A request head's syntax, read as Deno's HTTP server reads it, in one pass over its bytes. The
 * server answers a head it cannot read with an empty 400 that says nothing of why; the guard finds
 * the same faults first and names them: the request line, header names (tokens), header values
 * (no control bytes), line ends (CR with LF, always together), folded lines, and how many header
 * lines there are.
 */

/** What the pass learned of a head that reads well. */
export interface HeadSyntax {
  /** Every byte is ASCII: the head's text can be decoded natively. */
  readonly ascii: boolean;
  /** The request line says HTTP/1.0. */
  readonly http10: boolean;
}

/**
 * The most header lines a client may send. The server reads at most 128, and the guard adds up to
 * three of its own (the peer header; for a body over the limit, its size and `connection: close`
 * in place of Content-Length).
 */
const MAX_HEADER_LINES = 125;

export const BARE_LF = "Request head has a line that ends in LF without CR";
const BARE_CR = "Request head has a CR that is not followed by LF";

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;
const COLON = 58;
const SLASH = 47;
const DEL = 127;

// Bytes of a token (a method or a header name): letters, digits and !#$%&'*+-.^_`|~.
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = TOKEN[c + 32] = 1;

// Bytes of a header value: visible ASCII, space and tab (0); past ASCII, which the server takes as
// they are (1); CR (2); any other control byte, LF and DEL included (3).
const VALUE = new Uint8Array(256).fill(3);
VALUE.fill(0, SP, DEL);
VALUE[TAB] = 0;
VALUE.fill(1, 128);
VALUE[CR] = 2;

// The request line's version, less its last digit (0 or 1).
const VERSION = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."

/** Reads `bytes`, a head ending in its blank line: what it says, or its first fault, named. */
export function headSyntax(bytes: Uint8Array): HeadSyntax | string {
  let i = 0;
  // Empty lines before the request line are passed over, as the server does.
  while (bytes[i] === CR && bytes[i + 1] === LF) i += 2;
  const lineStart = i;
  while (TOKEN[bytes[i]!] === 1) i++;
  if (i === lineStart || bytes[i] !== SP) return requestLineFault(bytes, lineStart, i);
  const targetStart = ++i;
  let ascii = true;
  for (let byte = bytes[i]!; byte > SP && byte !== DEL; byte = bytes[++i]!) {
    if (byte > DEL) ascii = false;
  }
  if (i === targetStart || bytes[i] !== SP) return requestLineFault(bytes, lineStart, i);
  // Past ASCII, the server takes a target whose bytes are UTF-8 (curl sends `?q=é` so).
  if (!ascii && !isUtf8(bytes.subarray(targetStart, i))) {
    return requestLineFault(bytes, lineStart, i);
  }
  const targetEnd = i++;
  for (const byte of VERSION) {
    if (bytes[i] !== byte) return requestLineFault(bytes, lineStart, i);
    i++;
  }
  const http10 = bytes[i] === 48;
  if (!http10 && bytes[i] !== 49) return requestLineFault(bytes, lineStart, i);
  if (bytes[++i] !== CR || bytes[i + 1] !== LF) return requestLineFault(bytes, lineStart, i);
  i += 2;
  if (bytes[targetStart] !== SLASH || isConnect(bytes, lineStart, targetStart)) {
    const fault = targetFault(bytes, lineStart, targetStart, targetEnd);
    if (fault) return fault;
  }
  let lines = 0;
  // Header lines, to the blank line (the head's last two bytes).
  while (bytes[i] !== CR) {
    lines++;
    const nameStart = i;
    while (TOKEN[bytes[i]!] === 1) i++;
    if (i === nameStart || bytes[i] !== COLON) return nameFault(bytes, nameStart, i, lines + 1);
    const nameEnd = i++;
    for (;;) {
      const kind = VALUE[bytes[i]!];
      if (kind === 0) {
        i++;
      } else if (kind === 1) {
        ascii = false;
        i++;
      } else if (kind === 2 && bytes[i + 1] === LF) {
        i += 2;
        break;
      } else {
        return valueFault(bytes, nameStart, nameEnd, i, lines + 1);
      }
    }
  }
  if (bytes[i + 1] !== LF || i + 2 !== bytes.length) return BARE_CR;
  if (lines > MAX_HEADER_LINES) {
    return `Request head has ${lines} header lines; ccp takes at most ${MAX_HEADER_LINES}`;
  }
  return { ascii, http10 };
}

/** A line end out of place at `at`, if that is the fault there. */
function lineEndFault(bytes: Uint8Array, at: number): string | undefined {
  if (bytes[at] === LF) return BARE_LF;
  if (bytes[at] === CR && bytes[at + 1] !== LF) return BARE_CR;
  return undefined;
}

function requestLineFault(bytes: Uint8Array, start: number, at: number): string {
  // A bare LF or CR may end the line early, or lie further on in it.
  let end = start;
  while (end < bytes.length && bytes[end] !== CR && bytes[end] !== LF) end++;
  return lineEndFault(bytes, at) ?? lineEndFault(bytes, end) ??
    `Request line "${shown(bytes, start, end)}" is not a method, a target and HTTP/1.1 ` +
      "(or HTTP/1.0), one space apart";
}

// An absolute URL's start, and one with something after it (a host, a query or a fragment).
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;
const ABSOLUTE_FILLED = /^[a-z][a-z0-9+.-]*:\/\/./i;
const CONNECT = [67, 79, 78, 78, 69, 67, 84]; // "CONNECT"

/** Whether the method, `[start, end - 1)` (a space follows it), is CONNECT. */
function isConnect(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - 1 - start !== CONNECT.length) return false;
  for (let i = 0; i < CONNECT.length; i++) if (bytes[start + i] !== CONNECT[i]) return false;
  return true;
}

/**
 * The server takes a target other than a path only as an absolute URL with something after its
 * `//`, `*` for OPTIONS, or for CONNECT an authority (`host:port`): neither a path, `*` nor a URL.
 */
function targetFault(
  bytes: Uint8Array,
  lineStart: number,
  targetStart: number,
  targetEnd: number,
): string | undefined {
  const target = shown(bytes, targetStart, targetEnd);
  if (isConnect(bytes, lineStart, targetStart)) {
    if (!/^[/*]/.test(target) && !ABSOLUTE_FILLED.test(target)) return undefined;
    return `Request target "${target}" is not host:port, the only target CONNECT takes (ccp is ` +
      "an API, not a proxy that opens tunnels)";
  }
  if (target === "*" && shown(bytes, lineStart, targetStart - 1) === "OPTIONS") return undefined;
  if (ABSOLUTE_FILLED.test(target)) return undefined;
  if (ABSOLUTE.test(target)) return `Request target "${target}" is a URL with no host`;
  return `Request target "${target}" must begin with "/"`;
}

function nameFault(bytes: Uint8Array, start: number, at: number, line: number): string {
  const byte = bytes[at]!;
  if (at === start && (byte === SP || byte === TAB)) {
    return `Request head line ${line} begins with a space or tab (a header folded onto a ` +
      "second line): send each header on one line";
  }
  if (byte === COLON) return `Request head line ${line} has a colon but no header name`;
  let end = at;
  while (bytes[end] !== CR && bytes[end] !== LF && bytes[end] !== COLON) end++;
  if (bytes[end] !== COLON) {
    return lineEndFault(bytes, at) ?? lineEndFault(bytes, end) ??
      `Request head line ${line} ("${shown(bytes, start, end)}") has no colon: it is not a header`;
  }
  return `Header name "${shown(bytes, start, end)}" on line ${line} has a character not ` +
    `allowed in a name (${byteName(byte)})`;
}

function valueFault(
  bytes: Uint8Array,
  nameStart: number,
  nameEnd: number,
  at: number,
  line: number,
): string {
  return lineEndFault(bytes, at) ??
    `Header "${shown(bytes, nameStart, nameEnd)}" on line ${line} has a control character ` +
      `(${byteName(bytes[at]!)}) in its value`;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function byteName(byte: number): string {
  if (byte === SP) return "a space";
  return `byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** Bytes `[start, end)` as text for a message: printable ASCII as it is, other bytes as `\xNN`. */
function shown(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < Math.min(end, start + 100); i++) {
    const byte = bytes[i]!;
    text += byte >= SP && byte < DEL
      ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return end - start > 100 ? `${text}\u2026` : text;
}
