/**
 * Limits on what a client may take, which Deno's HTTP server does not enforce: how long it may
 * take to send a request's headers, how long a connection may sit idle, how many connections
 * are open at once, and how large a header block may be. ccp accepts the connections itself,
 * watches each request head go by, and pipes the bytes to its HTTP server on a private Unix
 * socket. The cost is one extra copy per chunk in each direction (measured in README).
 *
 * A request head that is malformed (see guard_syntax.ts, guard_head.ts) or over 64 KiB gets an
 * Anthropic-shaped error instead of the HTTP server's empty 400; the connection is then closed. A
 * declared body over the size limit is never passed on: the server gets the head alone and answers
 * its 413, then closes the connection.
 */

import type { ClientTimeouts } from "../config/types.ts";
import { type Cancel, deadline } from "../core/deadlines.ts";
import { headEnd, inspectHead, latin1Text } from "./guard_head.ts";
import { concat, type GuardRefusal, ReadBuffer, refuseWith, writeAll } from "./guard_io.ts";

/** Limits of the guard. */
export interface GuardLimits {
  readonly timeouts: ClientTimeouts;
  readonly maxConnections: number;
  readonly maxBodyBytes: number;
  /** Told the connection's peer key (`host:port#n`) when a client closes it (or it breaks). */
  readonly onClientGone?: (peer: string) => void;
  /** Told when a client starts a TLS handshake (an https:// base URL): ccp speaks plain HTTP. */
  readonly onTls?: () => void;
  /** Told each answer the guard gives itself (a malformed head, too many connections). */
  readonly onRefused?: (refusal: GuardRefusal) => void;
}

// A TLS record of type handshake begins with this byte; no HTTP request head can.
const TLS_HANDSHAKE = 0x16;

const MAX_HEAD = 64 * 1024;
// Body bytes read with a head that are joined to it into one write (see toServer).
const JOIN_BODY_BYTES = 16 * 1024;
// The most of a large body gathered for one write to the server (see toServer).
const GATHER_BYTES = 64 * 1024;
const NO_BYTES = new Uint8Array(0);
// The first buffer for a head split across reads (it doubles while the head goes on).
const SPLIT_HEAD_BYTES = 4 * 1024;

/** A guarded listener: accepts on a TCP listener, forwards to the HTTP server on a Unix socket. */
export interface Guard {
  /** Connections open now. */
  readonly open: number;
  close(): void;
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
    while (!closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        // The listener closed: nothing more to accept.
        if (closed || err instanceof Deno.errors.BadResource) return;
        if (err instanceof Deno.errors.Interrupted) return;
        // One connection failed, not the listener: a client that reset it before it was taken
        // (a load balancer's health check closes so) or no file descriptor left for now. Ending
        // here, as `for await` over the listener does, would accept nobody again.
        if (!isClientReset(err)) {
          await new Promise<void>((resume) => deadline(ACCEPT_PAUSE_MS, resume));
        }
        continue;
      }
      if (open >= limits.maxConnections) {
        void refuseWith(
          conn,
          { status: 503, type: "api_error", message: "Too many connections to ccp" },
          limits.onRefused,
        );
        continue;
      }
      open++;
      void serveConnection(conn, socketPath, limits).finally(() => open--);
    }
  })();
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

// After an accept that failed for want of a file descriptor (or anything but a client's reset),
// a pause: accepting again at once would spin while the condition lasts.
const ACCEPT_PAUSE_MS = 50;

function isClientReset(err: unknown): boolean {
  return err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted;
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
  // Each SSE event leaves as written: Nagle's algorithm would hold a small write until the client
  // acknowledged the one before (its delayed ACK: tens of milliseconds on a real network).
  try {
    conn.setNoDelay(true);
  } catch {
    // The client reset the connection already (macOS then refuses the option): its first read
    // ends it. Thrown from here, it would reject with nobody to catch it and stop ccp.
  }
  let backend: Deno.UnixConn | undefined;
  let done = false;
  let cancelIdle: Cancel | undefined;
  let cancelHead: Cancel | undefined;
  // When bytes last moved. One idle timer per connection checks it when it fires and re-arms
  // for the time that remains: re-arming a timer on every chunk cost timer churn per chunk.
  let lastActivity = 0;
  let idleArmed = false;
  const end = () => {
    if (done) return;
    done = true;
    cancelIdle?.();
    cancelHead?.();
    for (const c of [conn, backend]) {
      try {
        c?.close();
      } catch {
        // Already closed.
      }
    }
  };
  const idleCheck = () => {
    cancelIdle = undefined;
    idleArmed = false;
    if (done) return;
    const quiet = performance.now() - lastActivity;
    if (quiet >= idleMs) return end();
    idleArmed = true;
    cancelIdle = deadline(idleMs - quiet, idleCheck);
  };
  const touch = () => {
    if (idleMs <= 0 || done) return;
    lastActivity = performance.now();
    if (idleArmed) return;
    idleArmed = true;
    cancelIdle = deadline(idleMs, idleCheck);
  };
  const awaitHead = () => {
    cancelHead?.();
    if (headersMs > 0) cancelHead = deadline(headersMs, end);
  };
  // A complete request waits for its answer as long as the upstream takes (the upstream's own
  // timeouts bound it): neither the head nor the idle limit runs until the answer's bytes flow.
  const requestSent = () => {
    cancelHead?.();
    cancelIdle?.();
    idleArmed = false;
  };
  try {
    backend = await Deno.connect({ transport: "unix", path: socketPath });
  } catch {
    await refuseWith(
      conn,
      { status: 503, type: "api_error", message: "ccp is not ready" },
      limits.onRefused,
    );
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
      // A socket with room takes the whole read in one write: awaited as it is, with no async
      // function around it (a frame and a promise per answer and per streamed chunk).
      const wrote = await conn.write(buffer.bytes.subarray(0, n));
      if (wrote < n) await writeAll(conn, buffer.bytes.subarray(wrote, n));
      buffer.filled(n);
    }
  })().catch(() => {}).finally(end);

  // Client -> server: request heads are collected whole (they are small), bodies pass through.
  const toServer = (async () => {
    // Allocated only for a head split across reads (rare): every open connection kept 4 KiB.
    let head = NO_BYTES;
    let headLength = 0;
    let bodyLeft: number | "unknown" = 0;
    let chunkedTail = "";
    // Set once a body over the size limit was declared: what the client sends after it is dropped.
    let dropping = false;
    // Reads between bodies go here, and so does the wait for the next request, which lasts through
    // the whole answer: every open stream keeps this buffer, so it stays small.
    const small = new Uint8Array(ReadBuffer.SMALL);
    // A large body, gathered: when a read fills `small` with the start of a body the client is still
    // sending, that start (after its head) is copied into a buffer of up to 64 KiB, the body is
    // read on into it and sent in writes of up to 64 KiB. The server gets the body in as few
    // pieces as one large read would give (a body split at 4 KiB cost it ~10 % more CPU to join),
    // and the buffer is dropped once the body has gone.
    let gathered: Uint8Array = NO_BYTES;
    let carried = 0;
    const gather = (head: Uint8Array, part: Uint8Array, owed: number) => {
      gathered = new Uint8Array(head.byteLength + Math.min(owed, GATHER_BYTES));
      gathered.set(head);
      gathered.set(part, head.byteLength);
      carried = head.byteLength + part.byteLength;
      bodyLeft = owed - part.byteLength;
    };
    // A chunked body's reads: its connection passes bytes through from then on.
    let through: ReadBuffer | undefined;
    for (;;) {
      if (gathered.byteLength > 0) {
        const left = bodyLeft as number;
        const room = Math.min(left, gathered.byteLength - carried);
        const n = await conn.read(gathered.subarray(carried, carried + room));
        if (n === null) {
          // The client stopped mid-body: what it sent goes on, as it would have unread.
          await writeAll(backend!, gathered.subarray(0, carried));
          break;
        }
        touch();
        carried += n;
        bodyLeft = left - n;
        if (bodyLeft > 0 && carried < gathered.byteLength) continue;
        await writeAll(backend!, gathered.subarray(0, carried));
        carried = 0;
        if (bodyLeft === 0) {
          gathered = NO_BYTES;
          requestSent();
        }
        continue;
      }
      const chunk = bodyLeft === "unknown" ? (through ??= new ReadBuffer()).bytes : small;
      const n = await conn.read(chunk);
      if (n === null) break;
      touch();
      // A read that filled the small buffer: the client is sending more than it holds.
      const filled = n === chunk.byteLength && chunk === small;
      let data: Uint8Array = chunk.subarray(0, n);
      // The next read gets a new buffer if this one grows; `data` keeps pointing at this one.
      if (chunk !== small) through!.filled(n);
      while (data.byteLength > 0) {
        if (dropping) break;
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
          if (filled && take < bodyLeft) {
            gather(NO_BYTES, data, bodyLeft);
            break;
          }
          await writeAll(backend!, data.subarray(0, take));
          bodyLeft -= take;
          data = data.subarray(take);
          if (bodyLeft === 0) requestSent();
          continue;
        }
        // Collecting a request head: once it has begun, it must end within the head limit.
        if (headLength === 0 && data[0] === TLS_HANDSHAKE) {
          // An https:// client would otherwise wait out the head limit, then retry in silence.
          limits.onTls?.();
          return end();
        }
        if (headLength === 0) awaitHead();
        let raw: Uint8Array;
        const endHere = headLength === 0 ? headEnd(data, data.byteLength) : -1;
        if (endHere >= 0) {
          // The usual case: the whole head came in this read, and is read where it lies.
          raw = data.subarray(0, endHere);
          data = data.subarray(endHere);
        } else {
          // A head split across reads is collected in `head`. Only then: copying every read there
          // copied a large body's first read (up to 64 KiB) three times per request.
          if (headLength + data.byteLength > head.byteLength) {
            const grown = new Uint8Array(
              Math.min(
                MAX_HEAD + 4,
                Math.max(head.byteLength * 2, SPLIT_HEAD_BYTES, headLength + data.byteLength),
              ),
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
              await refuseWith(
                conn,
                {
                  status: 400,
                  type: "invalid_request_error",
                  message: "Request headers exceed 64 KiB",
                },
                limits.onRefused,
              );
              // The server's side goes too: it would wait for a request that never comes, and the
              // connection would keep its place under max_connections.
              return end();
            }
            continue;
          }
          const split = from + endAt;
          // What came after the head goes back to the front of the data to handle.
          data = concat(head.slice(split, headLength), data);
          raw = head.subarray(0, split);
          headLength = 0;
        }
        const checked = inspectHead(raw, peer, limits.maxBodyBytes);
        if (!checked.ok) {
          await refuseWith(conn, checked, limits.onRefused);
          return end();
        }
        cancelHead?.();
        if (checked.dropBody) {
          await writeAll(backend!, checked.bytes);
          requestSent();
          dropping = true;
          break;
        }
        bodyLeft = checked.bodyLength;
        const body = bodyLeft === "unknown" ? 0 : Math.min(bodyLeft, data.byteLength);
        if (filled && body > 0 && body < (bodyLeft as number)) {
          gather(checked.bytes, data.subarray(0, body), bodyLeft as number);
          break;
        }
        // The head and the body bytes already here go to the server in one write, unless there
        // are many of them: copying a large read behind the head cost more than a second write.
        if (body <= JOIN_BODY_BYTES) {
          const joined = concat(checked.bytes, data.subarray(0, body));
          const wrote = await backend!.write(joined);
          if (wrote < joined.byteLength) await writeAll(backend!, joined.subarray(wrote));
        } else {
          await writeAll(backend!, checked.bytes);
          await writeAll(backend!, data.subarray(0, body));
        }
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
