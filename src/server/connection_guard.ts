/**
 * Limits on what a client may take, which Deno's HTTP server does not enforce: how long it may
 * take to send a request's headers, how long a connection may sit idle, how many connections
 * are open at once, and how large a header block may be. ccp accepts the connections itself,
 * watches each request head go by, and pipes the bytes to its HTTP server on a private Unix
 * socket. The cost is one extra copy per chunk in each direction (measured in README).
 *
 * A request head that is malformed in a way the HTTP server would answer with an empty 400
 * (a Content-Length that is not a number, Content-Length beside Transfer-Encoding, headers past
 * 64 KiB) gets an Anthropic-shaped error instead, and a declared body over the size limit its
 * 413, before any of it is read; the connection is then closed.
 */

import type { ClientTimeouts } from "../config/types.ts";

/** Limits of the guard. */
export interface GuardLimits {
  readonly timeouts: ClientTimeouts;
  readonly maxConnections: number;
  readonly maxBodyBytes: number;
  /** Told the connection's peer key (`host:port#n`) when a client closes it (or it breaks). */
  readonly onClientGone?: (peer: string) => void;
}

/**
 * Header the guard puts on every request: the client end of the TCP connection and the guard's
 * number for the connection (`host:port#n`). The number tells a departure of this connection
 * from one of a later connection that the client's system gave the same port.
 */
export const PEER_HEADER = "x-ccp-peer";

const MAX_HEAD = 64 * 1024;
const BARE_LF = /(?:^|[^\r])\n/;
const encoder = new TextEncoder();

/** A guarded listener: accepts on `listener`, forwards to the HTTP server at `backend`. */
export interface Guard {
  /** Connections open now. */
  readonly open: number;
  close(): void;
}

function errorResponse(status: number, type: string, message: string): Uint8Array {
  const body = JSON.stringify({ type: "error", error: { type, message } });
  const reason = status === 413
    ? "Payload Too Large"
    : status === 503
    ? "Service Unavailable"
    : "Bad Request";
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${encoder.encode(body).byteLength}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** What a request head says about its body, or why it is refused. */
type Head =
  | { ok: true; bodyLength: number | "unknown"; bytes: Uint8Array }
  | { ok: false; status: number; type: string; message: string };

/** Checks a complete request head and adds the peer header; `raw` ends with the blank line. */
export function inspectHead(raw: Uint8Array, peer: string, maxBodyBytes: number): Head {
  const text = latin1Text(raw).slice(0, -4);
  // Deno's server also ends a line at a bare LF; the guard reads lines by CRLF. Were the two to
  // read a head differently, they would disagree on where its body ends (and a header hidden
  // behind a bare LF could pose as the peer header): such a head is refused.
  if (BARE_LF.test(text)) return bad("Request head has a line that ends in LF without CR");
  const lines = text.split("\r\n");
  // Lines left out of what the server gets: a peer header from the client (only the guard says
  // where a client is), and `connection` when a chunked body makes the guard close it. Without
  // any (the usual case) the head goes on as its own bytes with the peer header added.
  const dropped = new Set<number>();
  let length: string | undefined;
  let chunked = false;
  let connectionAt = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // Only content-length, connection, transfer-encoding and x-ccp-peer matter here (a name may
    // follow spaces or a tab): the other lines are passed over without being cut apart.
    const first = line.charCodeAt(0) | 0x20;
    if (first !== 0x63 && first !== 0x74 && first !== 0x78 && first !== 0x20 && first !== 0x29) {
      continue;
    }
    const colon = line.indexOf(":");
    const name = (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
    const value = colon < 0 ? "" : line.slice(colon + 1).trim();
    if (name === PEER_HEADER) dropped.add(i);
    if (name === "connection") connectionAt = i;
    if (name === "content-length") {
      if (length !== undefined && length !== value) {
        return bad("Conflicting Content-Length headers");
      }
      length = value;
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
  if (typeof declared === "number" && declared > maxBodyBytes) {
    const mib = (maxBodyBytes / 1048576).toFixed(maxBodyBytes % 1048576 === 0 ? 0 : 1);
    return {
      ok: false,
      status: 413,
      type: "request_too_large",
      message:
        `Request body exceeds the ${mib} MiB limit (raise server.max_body_size in the config)`,
    };
  }
  const peerLine = `${PEER_HEADER}: ${peer}`;
  if (declared === "unknown" || dropped.size > 0) {
    // The guard does not follow chunk framing, so it cannot find the next request's head on this
    // connection: the server closes it after the answer, and the client's next request comes on
    // a new connection whose head the guard checks.
    if (declared === "unknown" && connectionAt >= 0) dropped.add(connectionAt);
    const kept = lines.filter((_, i) => !dropped.has(i));
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
 * A head's bytes as text, one character per byte (code 0–255), and back: a header value with
 * bytes past ASCII must reach the server as it came. (TextDecoder's "latin1" is windows-1252,
 * which maps 0x80–0x9F elsewhere, and UTF-8 would re-encode the rest.)
 */
function latin1Text(bytes: Uint8Array): string {
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

function headEnd(buffer: Uint8Array, length: number): number {
  for (let i = 3; i < length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/** Accepts connections on `listener` and forwards them to the HTTP server at `socketPath`. */
export function guardConnections(
  listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>,
  socketPath: string,
  limits: GuardLimits,
): Guard {
  let open = 0;
  let closed = false;
  (async () => {
    for await (const conn of listener) {
      if (open >= limits.maxConnections) {
        void refuse(conn, errorResponse(503, "overloaded_error", "Too many connections to ccp"));
        continue;
      }
      open++;
      void serveConnection(conn, socketPath, limits).finally(() => open--);
    }
  })().catch(() => {
    // The listener closed: nothing more to accept.
  });
  return {
    get open() {
      return open;
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
  };
}

async function refuse(conn: Deno.Conn, response: Uint8Array): Promise<void> {
  try {
    await conn.write(response);
  } catch {
    // The client is gone already.
  }
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

// Numbers the connections the guards accept, for the peer key.
let connections = 0;

/** Pipes one client connection, enforcing the limits on each request head and on idleness. */
async function serveConnection(
  conn: Deno.TcpConn,
  socketPath: string,
  limits: GuardLimits,
): Promise<void> {
  const { headersMs, idleMs } = limits.timeouts;
  const peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}#${++connections}`;
  let backend: Deno.UnixConn | undefined;
  let done = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let headTimer: ReturnType<typeof setTimeout> | undefined;
  // When bytes last moved. One idle timer per connection checks it when it fires and re-arms
  // for the time that remains: re-arming a timer on every chunk cost timer churn per chunk.
  let lastActivity = 0;
  let idleArmed = false;
  const end = () => {
    if (done) return;
    done = true;
    clearTimeout(idleTimer);
    clearTimeout(headTimer);
    for (const c of [conn, backend]) {
      try {
        c?.close();
      } catch {
        // Already closed.
      }
    }
  };
  const idleCheck = () => {
    idleTimer = undefined;
    idleArmed = false;
    if (done) return;
    const quiet = performance.now() - lastActivity;
    if (quiet >= idleMs) return end();
    idleArmed = true;
    idleTimer = setTimeout(idleCheck, idleMs - quiet);
  };
  const touch = () => {
    if (idleMs <= 0 || done) return;
    lastActivity = performance.now();
    if (idleArmed) return;
    idleArmed = true;
    idleTimer = setTimeout(idleCheck, idleMs);
  };
  const awaitHead = () => {
    clearTimeout(headTimer);
    if (headersMs > 0) headTimer = setTimeout(end, headersMs);
  };
  // A complete request waits for its answer as long as the upstream takes (the upstream's own
  // timeouts bound it): neither the head nor the idle limit runs until the answer's bytes flow.
  const requestSent = () => {
    clearTimeout(headTimer);
    clearTimeout(idleTimer);
    idleArmed = false;
  };
  try {
    backend = await Deno.connect({ transport: "unix", path: socketPath });
  } catch {
    await refuse(conn, errorResponse(503, "api_error", "ccp is not ready"));
    return;
  }
  touch();
  awaitHead();
  const toClient = (async () => {
    const buffer = new ReadBuffer();
    for (;;) {
      const n = await backend!.read(buffer.bytes);
      if (n === null) break;
      touch();
      await writeAll(conn, buffer.bytes.subarray(0, n));
      buffer.filled(n);
    }
  })().catch(() => {}).finally(end);

  // Client → server: request heads are collected whole (they are small), bodies pass through.
  const toServer = (async () => {
    let head = new Uint8Array(4 * 1024);
    let headLength = 0;
    let bodyLeft: number | "unknown" = 0;
    let chunkedTail = "";
    const buffer = new ReadBuffer();
    for (;;) {
      const chunk = buffer.bytes;
      const n = await conn.read(chunk);
      if (n === null) break;
      touch();
      let data: Uint8Array = chunk.subarray(0, n);
      // The next read gets a new buffer if this one grows; `data` keeps pointing at this one.
      buffer.filled(n);
      while (data.byteLength > 0) {
        if (bodyLeft === "unknown") {
          // A chunked body: only the idle limit applies, until its last chunk (`0` and a blank
          // line; trailers are not looked for) says the request is complete.
          await writeAll(backend!, data);
          chunkedTail = (chunkedTail + latin1Text(data.subarray(-5))).slice(-5);
          if (chunkedTail === "0\r\n\r\n") requestSent();
          data = data.subarray(data.byteLength);
          continue;
        }
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, data.byteLength);
          await writeAll(backend!, data.subarray(0, take));
          bodyLeft -= take;
          data = data.subarray(take);
          if (bodyLeft === 0) requestSent();
          continue;
        }
        // Collecting a request head: once it has begun, it must end within the head limit.
        if (headLength === 0) awaitHead();
        if (headLength + data.byteLength > head.byteLength) {
          const grown = new Uint8Array(
            Math.min(MAX_HEAD + 4, Math.max(head.byteLength * 2, headLength + data.byteLength)),
          );
          grown.set(head.subarray(0, headLength));
          head = grown;
        }
        const take = Math.min(data.byteLength, head.byteLength - headLength);
        head.set(data.subarray(0, take), headLength);
        const from = Math.max(0, headLength - 3);
        headLength += take;
        data = data.subarray(take);
        const endAt = headEnd(head.subarray(from), headLength - from);
        if (endAt < 0) {
          if (headLength > MAX_HEAD) {
            await refuse(
              conn,
              errorResponse(400, "invalid_request_error", "Request headers exceed 64 KiB"),
            );
            return;
          }
          continue;
        }
        const split = from + endAt;
        // What came after the head goes back to the front of the data to handle.
        const rest = head.slice(split, headLength);
        const checked = inspectHead(head.subarray(0, split), peer, limits.maxBodyBytes);
        if (!checked.ok) {
          await refuse(conn, errorResponse(checked.status, checked.type, checked.message));
          return;
        }
        clearTimeout(headTimer);
        headLength = 0;
        data = concat(rest, data);
        bodyLeft = checked.bodyLength;
        // The head and the body bytes already here go to the server in one write.
        const body = bodyLeft === "unknown" ? 0 : Math.min(bodyLeft, data.byteLength);
        await writeAll(backend!, concat(checked.bytes, data.subarray(0, body)));
        data = data.subarray(body);
        if (bodyLeft !== "unknown") bodyLeft -= body;
        if (bodyLeft === 0) requestSent();
      }
    }
    // The client finished sending: let the server see the end of its input too.
    await backend!.closeWrite().catch(() => {});
  })().catch(end).finally(() => {
    // No HTTP client closes its side while it still waits for an answer: a request in flight on
    // this connection has lost its client.
    limits.onClientGone?.(peer);
  });
  await Promise.all([toClient, toServer]);
  end();
}

/**
 * A connection's read buffer: small while a connection carries small things (request heads, SSE
 * events: one buffer per direction and open connection, so its size is memory per stream), and
 * grown while reads keep filling it (a large body or answer), so big transfers take few reads.
 * With 500 open streams, 4 KiB buffers here and in the upstream body guard instead of 16 KiB
 * measured 39.8 → 12.0 MB of ArrayBuffer memory.
 */
class ReadBuffer {
  static readonly SMALL = 4 * 1024;
  static readonly LARGE = 64 * 1024;
  bytes = new Uint8Array(ReadBuffer.SMALL);

  /** Called after each read of `n` bytes, once the bytes read are no longer needed in place. */
  filled(n: number): void {
    if (n === this.bytes.byteLength && n < ReadBuffer.LARGE) {
      this.bytes = new Uint8Array(ReadBuffer.LARGE);
    } else if (n < ReadBuffer.SMALL && this.bytes.byteLength > ReadBuffer.SMALL) {
      this.bytes = new Uint8Array(ReadBuffer.SMALL);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  if (b.byteLength === 0) return a;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}
