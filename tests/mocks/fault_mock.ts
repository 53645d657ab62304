/**
 * A fault-injecting mock Anthropic upstream on 127.0.0.1:0, scripted per request and per key.
 *
 * It speaks HTTP/1.1 over raw TCP (Deno.listen) rather than Deno.serve, so it can do what a
 * misbehaving provider does to a socket — close it mid-stream, hold it silent after the headers,
 * never answer at all — and so it can count real open connections: every answer is sent with
 * `connection: close`, hence a connection still open once the client is idle is a leak.
 * Streams use chunked encoding, so a socket closed before the `0` chunk is a broken answer to
 * the client, never a short but valid one. Everything is bounded: holds end after `maxHoldMs`,
 * heads and bodies have size limits, connections past `maxConnections` are closed at once.
 */

import { answer, Exchange, keyOf, parseJson, readRequest } from "./fault_exchange.ts";

/** What the mock does with one request. */
export type Fault =
  /** A normal SSE answer: message_start … `deltas` text deltas … message_stop. */
  | { kind: "ok"; deltas?: number }
  /** A normal answer, one event every `everyMs`. */
  | { kind: "drip"; everyMs: number; deltas?: number }
  /** An error status with an Anthropic error body (429, 401, 500, 503, 529 …). */
  | {
    kind: "status";
    status: number;
    /** `Retry-After` in seconds. */
    retryAfter?: number;
    message?: string;
    headers?: Record<string, string>;
  }
  /** 200 and `afterEvents` events, then the socket is closed (no final chunk). */
  | { kind: "reset"; afterEvents: number }
  /** 200 and `afterEvents` events (default 0), then silence until the client leaves. */
  | { kind: "stall"; afterEvents?: number }
  /** Reads the request and never answers, not even the status line. */
  | { kind: "hang" };

/** What a script sees of a request. */
export interface FaultRequest {
  /** 0-based arrival order. */
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  /** From `x-api-key`, else `Authorization: Bearer …`. */
  readonly key?: string;
  readonly model?: string;
  readonly body?: Record<string, unknown>;
}

/** One request as the mock recorded it. */
export interface FaultRecord {
  readonly seq: number;
  readonly path: string;
  readonly key?: string;
  readonly model?: string;
  readonly fault: Fault["kind"];
  /** HTTP status sent (absent for a hang). */
  status?: number;
  /** performance.now() when the request had been read. */
  readonly at: number;
  /** performance.now() when the exchange ended: answer complete, socket closed, or client gone. */
  endedAt?: number;
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  /** SSE events written. */
  eventsSent: number;
}

/** Counters kept for every request, even past the record limit. */
export interface FaultStats {
  requests: number;
  byFault: Record<Fault["kind"], number>;
  /** Answers by HTTP status sent (a hang sends none). */
  byStatus: Record<number, number>;
  aborted: number;
  /** Connections open right now. */
  open: number;
  /** Most connections open at once. */
  peakOpen: number;
  /** Connections refused because `maxConnections` were open. */
  refused: number;
}

/** How to script and bound the mock. Scripting order: `script`, `byKey`, `replies`, then ok. */
export interface FaultMockOptions {
  /** Consulted first for every request; undefined falls through. */
  script?: (request: FaultRequest) => Fault | undefined;
  /** A fault for every request made with this key. */
  byKey?: Record<string, Fault>;
  /** The n-th request gets `replies[n]`; the last one repeats. */
  replies?: Fault[];
  /** Longest a stall or hang lasts before the mock closes the socket itself (default 10 s). */
  maxHoldMs?: number;
  /** Connections beyond this are closed at once (default 512). */
  maxConnections?: number;
  /** Records kept (oldest dropped first; stats count everything). Default 10,000. */
  maxRecords?: number;
}

/** A running fault mock. */
export interface FaultMock {
  readonly url: string;
  /** Recorded requests, oldest first. */
  readonly requests: FaultRecord[];
  readonly stats: FaultStats;
  /** Scripting, changeable between requests. */
  readonly options: FaultMockOptions;
  /** Connections open right now. */
  readonly openConnections: number;
  /** Resolves with the open-connection count once it is 0, or after `ms` with what is left. */
  waitIdle(ms: number): Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the mock on an ephemeral loopback port. */
export function startFaultMock(options: FaultMockOptions = {}): FaultMock {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const idleWaiters = new Set<() => void>();
  const requests: FaultRecord[] = [];
  const stats: FaultStats = {
    requests: 0,
    byFault: { ok: 0, drip: 0, status: 0, reset: 0, stall: 0, hang: 0 },
    byStatus: {},
    aborted: 0,
    open: 0,
    peakOpen: 0,
    refused: 0,
  };
  let closing = false;
  let seq = 0;

  const untrack = (conn: Deno.Conn) => {
    if (!conns.delete(conn)) return;
    stats.open = conns.size;
    if (conns.size === 0) { for (const wake of idleWaiters) wake(); }
  };

  const pick = (request: FaultRequest): Fault => {
    const scripted = options.script?.(request);
    if (scripted) return scripted;
    const keyed = request.key === undefined ? undefined : options.byKey?.[request.key];
    if (keyed) return keyed;
    const replies = options.replies ?? [];
    return replies[Math.min(request.seq, replies.length - 1)] ?? { kind: "ok" };
  };

  const serveConn = async (conn: Deno.Conn) => {
    let exchange: Exchange | undefined;
    try {
      const parsed = await readRequest(conn);
      if (!parsed) return;
      const body = parseJson(parsed.body);
      const request: FaultRequest = {
        seq: seq++,
        method: parsed.method,
        path: parsed.path,
        headers: parsed.headers,
        key: keyOf(parsed.headers),
        model: typeof body?.model === "string" ? body.model : undefined,
        body,
      };
      const fault = pick(request);
      const record: FaultRecord = {
        seq: request.seq,
        path: request.path,
        key: request.key,
        model: request.model,
        fault: fault.kind,
        at: performance.now(),
        aborted: false,
        eventsSent: 0,
      };
      requests.push(record);
      if (requests.length > (options.maxRecords ?? 10_000)) requests.shift();
      stats.requests++;
      stats.byFault[fault.kind]++;
      exchange = new Exchange(conn, record, () => stats.aborted++);
      await answer(exchange, fault, options.maxHoldMs ?? 10_000);
    } catch {
      // A write to a socket the client closed.
      exchange?.clientLeft();
    } finally {
      exchange?.end();
      const sent = exchange?.record.status;
      if (sent !== undefined) stats.byStatus[sent] = (stats.byStatus[sent] ?? 0) + 1;
      untrack(conn);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      // Its pending read ends with the close: let it, so no op outlives the mock.
      await exchange?.gone;
    }
  };

  const accept = (async () => {
    try {
      for await (const conn of listener) {
        if (closing || conns.size >= (options.maxConnections ?? 512)) {
          stats.refused++;
          conn.close();
          continue;
        }
        conns.add(conn);
        stats.open = conns.size;
        stats.peakOpen = Math.max(stats.peakOpen, conns.size);
        const handler = serveConn(conn);
        handlers.add(handler);
        void handler.finally(() => handlers.delete(handler));
      }
    } catch {
      // The listener was closed.
    }
  })();

  const close = async () => {
    if (closing) return;
    closing = true;
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await accept;
    await Promise.allSettled([...handlers]);
    for (const wake of idleWaiters) wake();
  };

  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    stats,
    options,
    get openConnections() {
      return conns.size;
    },
    waitIdle(ms: number): Promise<number> {
      if (conns.size === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          idleWaiters.delete(done);
          resolve(conns.size);
        };
        const timer = setTimeout(done, ms);
        idleWaiters.add(done);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
