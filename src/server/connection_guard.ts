/**
 * Limits on what a client may take, which Deno's HTTP server does not enforce: how long it may
 * take to send a request's headers, how long a connection may sit idle, how many connections
 * are open at once, and how large a header block may be. ccp accepts the connections itself,
 * watches each request head go by, and pipes the bytes to its HTTP server on a private Unix
 * socket. The cost is one extra copy per chunk in each direction (measured in README).
 *
 * A request head that is malformed (see guard_syntax.ts, guard_head.ts) or over 64 KiB gets an
 * Anthropic-shaped error instead of the HTTP server's empty 400. A declared body over the size
 * limit is never passed on: the server gets the head alone and answers its 413. Either way, and
 * whenever the server closes a connection, the guard then lingers: it ends its side and drops what
 * the client still sends for a bounded time before closing (GuardedConnection.linger), so a client
 * still sending reads the error instead of a reset. An answer of the server's that says
 * `connection: close` (a body too slow) ends the connection so too (closeAfterAnswer), and so does
 * the 503 past max_connections, for a bounded number of connections at once.
 */

import type { ClientTimeouts } from "../config/types.ts";
import { deadline } from "../core/deadlines.ts";
import {
  type GuardRefusal,
  ReadBuffer,
  refuseLingering,
  refuseWith,
  writeAll,
} from "./guard_io.ts";
import { GuardedConnection, LINGER_BYTES, LINGER_MS } from "./guarded_connection.ts";
import { RequestPipe } from "./request_pipe.ts";

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

/** A guarded listener: accepts on a TCP listener, forwards to the HTTP server on a Unix socket. */
export interface Guard {
  /** Connections open now. */
  readonly open: number;
  /**
   * The server answers the request in flight on the connection `peer` (`host:port#n`, its
   * PEER_HEADER) with `connection: close`: the connection closes after that answer
   * (GuardedConnection.closeAfterAnswer).
   */
  closeAfterAnswer(peer: string): void;
  close(): void;
}

/** Accepts connections on `listener` and forwards them to the HTTP server at `socketPath`. */
export function guardConnections(
  listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>,
  socketPath: string,
  limits: GuardLimits,
): Guard {
  const guard = new ConnectionGuard(listener, socketPath, limits);
  void guard.accept();
  return guard;
}

/**
 * How many connections refused past max_connections may linger at once (see `#serve`): each for
 * at most LINGER_MS, so a flood past the limit holds at most this many sockets more. Past it, a
 * refused connection is closed at once, as before lingering existed.
 */
export const MAX_REFUSED_LINGERING = 16;

const TOO_MANY = {
  status: 503,
  type: "api_error",
  message: "Too many connections to ccp",
} as const;

// After an accept that failed for want of a file descriptor (or anything but a client's reset),
// a pause: accepting again at once would spin while the condition lasts.
const ACCEPT_PAUSE_MS = 50;

// The accept loop and the count of open connections it keeps under the limit.
class ConnectionGuard implements Guard {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #socketPath: string;
  readonly #limits: GuardLimits;
  #open = 0;
  #refusedLingering = 0;
  // The connections let in, by peer key: the server's `connection: close` is passed on by it.
  readonly #byPeer = new Map<string, GuardedConnection>();
  #closed = false;

  constructor(
    listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>,
    socketPath: string,
    limits: GuardLimits,
  ) {
    this.#listener = listener;
    this.#socketPath = socketPath;
    this.#limits = limits;
  }

  get open(): number {
    return this.#open;
  }

  closeAfterAnswer(peer: string): void {
    this.#byPeer.get(peer)?.closeAfterAnswer();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }

  // Takes each connection as it comes until the listener closes; one connection's failure to be
  // accepted does not end the loop.
  async accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        // The listener closed: nothing more to accept.
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        if (err instanceof Deno.errors.Interrupted) return;
        // One connection failed, not the listener: a client that reset it before it was taken
        // (a load balancer's health check closes so) or no file descriptor left for now. Ending
        // here, as `for await` over the listener does, would accept nobody again.
        if (!isClientReset(err)) {
          await new Promise<void>((resume) => deadline(ACCEPT_PAUSE_MS, resume));
        }
        continue;
      }
      this.#serve(conn);
    }
  }

  // Serves a connection, or refuses it when the limit of open connections is reached. A refused
  // client may have sent its request already: it lingers (refuseLingering) so the client reads
  // the 503 rather than a reset, while fewer than MAX_REFUSED_LINGERING do.
  #serve(conn: Deno.TcpConn): void {
    const limits = this.#limits;
    if (this.#open >= limits.maxConnections) {
      if (this.#refusedLingering >= MAX_REFUSED_LINGERING) {
        void refuseWith(conn, TOO_MANY, limits.onRefused);
        return;
      }
      this.#refusedLingering++;
      void refuseLingering(conn, TOO_MANY, limits.onRefused, {
        ms: LINGER_MS,
        bytes: LINGER_BYTES,
      }).finally(() => this.#refusedLingering--);
      return;
    }
    this.#open++;
    const c = new GuardedConnection(conn, limits);
    this.#byPeer.set(c.peer, c);
    void serveConnection(c, this.#socketPath).finally(() => {
      this.#open--;
      this.#byPeer.delete(c.peer);
    });
  }
}

function isClientReset(err: unknown): boolean {
  return err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted;
}

/** Pipes one client connection, enforcing the limits on each request head and on idleness. */
async function serveConnection(c: GuardedConnection, socketPath: string): Promise<void> {
  const { conn, limits } = c;
  // Each SSE event leaves as written: Nagle's algorithm would hold a small write until the client
  // acknowledged the one before (its delayed ACK: tens of milliseconds on a real network).
  try {
    conn.setNoDelay(true);
  } catch {
    // The client reset the connection already (macOS then refuses the option): its first read
    // ends it. Thrown from here, it would reject with nobody to catch it and stop ccp.
  }
  let backend: Deno.UnixConn;
  try {
    backend = c.backend = await Deno.connect({ transport: "unix", path: socketPath });
  } catch {
    await refuseWith(
      conn,
      { status: 503, type: "api_error", message: "ccp is not ready" },
      limits.onRefused,
    );
    return;
  }
  c.touch();
  c.awaitHead();
  // Once the server has said its last (it closed its side), the connection lingers rather than
  // closing under a client still sending: see GuardedConnection.linger.
  const toClient = pipeAnswers(c, backend).catch(() => {}).finally(c.linger);
  const toServer = new RequestPipe(c, backend).run().catch(c.end).finally(() => {
    // No HTTP client closes its side while it still waits for an answer: a request in flight on
    // this connection has lost its client.
    limits.onClientGone?.(c.peer);
  });
  await Promise.all([toClient, toServer]);
  c.end();
}

// Server -> client: the answers' bytes, passed on as they are read.
async function pipeAnswers(c: GuardedConnection, backend: Deno.UnixConn): Promise<void> {
  const { conn } = c;
  const buffer = new ReadBuffer();
  for (;;) {
    const n = await backend.read(buffer.bytes);
    if (n === null) break;
    c.touch();
    // A socket with room takes the whole read in one write: awaited as it is, with no async
    // function around it (a frame and a promise per answer and per streamed chunk).
    const wrote = await conn.write(buffer.bytes.subarray(0, n));
    if (wrote < n) await writeAll(conn, buffer.bytes.subarray(wrote, n));
    buffer.filled(n);
  }
}
