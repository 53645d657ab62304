/**
 * One client connection in the connection guard: its two sockets, its peer key, the head and
 * idle deadlines, and the one way it ends. Both pipes (the answer's in connection_guard.ts, the
 * request's in request_pipe.ts) move its deadlines as bytes go by.
 */

import { type Cancel, deadline } from "../core/deadlines.ts";
import type { GuardLimits } from "./connection_guard.ts";

// Numbers the connections the guards accept, for the peer key.
let connections = 0;

// How long, and how many bytes, a connection is read and discarded after its last answer before
// it closes (see `linger`): bounded, so a client that sends on forever keeps its place no longer.
export const LINGER_MS = 2_000;
export const LINGER_BYTES = 4 * 1024 * 1024;

// How long after the idle or head limit seemed reached it is checked again before the connection
// ends (see #idleCheck).
const IDLE_RECHECK_MS = 20;

/** A client connection's deadlines and end; `backend` is its connection to the HTTP server. */
export class GuardedConnection {
  readonly conn: Deno.TcpConn;
  readonly limits: GuardLimits;
  /** `host:port#n`: the client's address and the connection's number. */
  readonly peer: string;
  backend: Deno.UnixConn | undefined;
  readonly #headersMs: number;
  readonly #idleMs: number;
  #done = false;
  #cancelIdle: Cancel | undefined;
  #cancelHead: Cancel | undefined;
  // When bytes last moved. One idle timer per connection checks it when it fires and re-arms
  // for the time that remains: re-arming a timer on every chunk cost timer churn per chunk.
  #lastActivity = 0;
  #idleArmed = false;
  // The last activity an idle check found the whole idle limit ago: the next check ends the
  // connection if nothing moved since.
  #quietSince = -1;
  #lingering = false;
  // Set once the server answered with `connection: close` (see `closeAfterAnswer`).
  #answered = false;
  #discarded = 0;

  constructor(conn: Deno.TcpConn, limits: GuardLimits) {
    this.conn = conn;
    this.limits = limits;
    this.#headersMs = limits.timeouts.headersMs;
    this.#idleMs = limits.timeouts.idleMs;
    this.peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}#${++connections}`;
  }

  /**
   * Closes both sockets and stops the timers, once. A bound function (made once per connection):
   * timers and promise chains are handed it as it is.
   */
  readonly end = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#cancelIdle?.();
    this.#cancelHead?.();
    for (const c of [this.conn, this.backend]) {
      try {
        c?.close();
      } catch {
        // Already closed.
      }
    }
  };

  /**
   * The last answer has gone (or the guard refused the request): the client is told so by the
   * end of ccp's side, and what it still sends is read and dropped until it closes its side, for
   * at most LINGER_MS and LINGER_BYTES. Closing a socket with unread bytes, or one the client
   * writes to next, resets it, and a reset makes the client's system drop the answer it has not
   * read yet: a client still sending a refused body saw "connection reset" instead of the error.
   */
  readonly linger = (): void => {
    if (this.#done || this.#lingering) return;
    this.#lingering = true;
    this.#cancelHead?.();
    this.conn.closeWrite().catch(() => {});
    try {
      this.backend?.close();
    } catch {
      // Already closed.
    }
    this.#cancelIdle?.();
    this.#idleArmed = false;
    this.#cancelIdle = deadline(LINGER_MS, this.end);
  };

  /**
   * The server answered the request in flight with `connection: close` (an answer given before
   * the body was all read: too slow, too large), which Deno's HTTP server does not act on: it
   * would keep the connection and read on, the rest of that body included. So the guard stops
   * passing on what the client sends and ends the server's input; the server then writes its
   * answer and closes, and the connection lingers as after any last answer.
   */
  readonly closeAfterAnswer = (): void => {
    if (this.#done || this.#lingering || this.#answered) return;
    this.#answered = true;
    this.backend?.closeWrite().catch(() => {});
  };

  /** Whether what the client sends is dropped (see `discard`): answered, or lingering. */
  get dropping(): boolean {
    return this.#lingering || this.#answered;
  }

  /** `n` bytes read while lingering were dropped; says whether to read on (else it ended). */
  discard(n: number): boolean {
    this.#discarded += n;
    if (this.#discarded <= LINGER_BYTES) return true;
    this.end();
    return false;
  }

  // The idle timer fired: ends a connection quiet for the whole idle limit, else waits out the
  // rest. Quiet is confirmed by a second check a moment later: a timer that fires after the
  // process was stalled (a loaded machine, a long task) fires before the reads that were waiting
  // meanwhile, and the bytes the client sent in time were then taken for silence. Under load a
  // trickled body's connection was so ended just as the server's 400 for it was on its way.
  readonly #idleCheck = (): void => {
    this.#cancelIdle = undefined;
    this.#idleArmed = false;
    if (this.#done) return;
    const quiet = performance.now() - this.#lastActivity;
    this.#idleArmed = true;
    if (quiet < this.#idleMs) {
      this.#cancelIdle = deadline(this.#idleMs - quiet, this.#idleCheck);
    } else if (this.#quietSince === this.#lastActivity) {
      this.end();
    } else {
      this.#quietSince = this.#lastActivity;
      this.#cancelIdle = deadline(IDLE_RECHECK_MS, this.#idleCheck);
    }
  };

  /** Bytes moved: the idle limit starts again (the timer is only armed when none is). */
  touch(): void {
    if (this.#idleMs <= 0 || this.#done || this.#lingering) return;
    this.#lastActivity = performance.now();
    if (this.#idleArmed) return;
    this.#idleArmed = true;
    this.#cancelIdle = deadline(this.#idleMs, this.#idleCheck);
  }

  /** A request head may begin: it must end within the head limit. */
  awaitHead(): void {
    if (this.#lingering) return;
    this.#cancelHead?.();
    if (this.#headersMs > 0) this.#cancelHead = deadline(this.#headersMs, this.#headLate);
  }

  // The head limit passed: the connection ends unless the head's end was waiting unread (see
  // #idleCheck), which `headRead` then says within a moment.
  readonly #headLate = (): void => {
    this.#cancelHead = deadline(IDLE_RECHECK_MS, this.end);
  };

  /** The request head ended in time. */
  headRead(): void {
    this.#cancelHead?.();
  }

  /**
   * A complete request waits for its answer as long as the upstream takes (the upstream's own
   * timeouts bound it): neither the head nor the idle limit runs until the answer's bytes flow.
   */
  requestSent(): void {
    if (this.#lingering) return;
    this.#cancelHead?.();
    this.#cancelIdle?.();
    this.#idleArmed = false;
  }
}
