/** The connection guard's buffers, writes and own answers (see connection_guard.ts). */

import { deadline } from "../core/deadlines.ts";
import { type AnthropicErrorType, errorBody } from "../core/errors.ts";
import { NO_ROUTE } from "../pipeline/record.ts";
import { newRequestId } from "../translate/anthropic/ids.ts";

const encoder = new TextEncoder();

/** One answer the guard gave in the server's place, for the log. */
export interface GuardRefusal {
  readonly status: number;
  readonly message: string;
  /** The `request-id` the answer carried. */
  readonly requestId: string;
  /** The client end of the connection (`host:port`). */
  readonly peer: string;
}

/**
 * An answer the guard gives in the server's place. It says `x-ccp-route: none`, as the server
 * does for a request refused before routing: every answer to POST /v1/messages names its route,
 * and the guard answers before any route is chosen. It has a `request-id` like every answer of
 * the server's, so a user reporting it can quote one (and find it in the log).
 */
function errorResponse(
  status: number,
  type: AnthropicErrorType,
  message: string,
  requestId: string = newRequestId(),
): Uint8Array {
  const body = JSON.stringify(errorBody(type, message));
  const reason = status === 413
    ? "Payload Too Large"
    : status === 503
    ? "Service Unavailable"
    : "Bad Request";
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `x-ccp-route: ${NO_ROUTE}\r\nrequest-id: ${requestId}\r\n` +
      `content-length: ${encoder.encode(body).byteLength}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Answers `status` with an Anthropic-shaped error, tells `onRefused` (the log) its `request-id`,
 * and closes the connection. For a connection not let in (too many, or the server not ready):
 * it has no place under max_connections to linger in.
 */
export async function refuseWith(
  conn: Deno.Conn,
  refusal: { status: number; type: AnthropicErrorType; message: string },
  onRefused: ((refusal: GuardRefusal) => void) | undefined,
): Promise<void> {
  await answerRefusal(conn, refusal, onRefused);
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * As `refuseWith`, but the connection lingers before it closes, as a guarded one does after its
 * last answer (GuardedConnection.linger): ccp's side ends after the answer, and what the client
 * still sends (the request it sent before it was refused) is read and dropped until it closes
 * its side, for at most `ms` and `bytes`. Closed at once, a connection with the client's request
 * unread is reset, and the client may meet the reset instead of the answer.
 */
export async function refuseLingering(
  conn: Deno.Conn,
  refusal: { status: number; type: AnthropicErrorType; message: string },
  onRefused: ((refusal: GuardRefusal) => void) | undefined,
  bounds: { readonly ms: number; readonly bytes: number },
): Promise<void> {
  const close = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  // The answer's write is bounded too: a client that reads nothing may fill its window.
  const stop = deadline(bounds.ms, close);
  await answerRefusal(conn, refusal, onRefused);
  // Small, and only while it lingers: a flood's lingering sockets are few (connection_guard.ts).
  const dropped = new Uint8Array(1024);
  try {
    await conn.closeWrite();
    for (let read = 0; read <= bounds.bytes;) {
      const n = await conn.read(dropped);
      if (n === null) break;
      read += n;
    }
  } catch {
    // Closed when its time ran out, or reset by the client.
  } finally {
    stop();
    close();
  }
}

/**
 * Answers `status` with an Anthropic-shaped error and tells `onRefused` (the log) its
 * `request-id`; the connection stays open (see `GuardedConnection.linger`).
 */
export async function answerRefusal(
  conn: Deno.Conn,
  refusal: { status: number; type: AnthropicErrorType; message: string },
  onRefused: ((refusal: GuardRefusal) => void) | undefined,
): Promise<void> {
  const requestId = newRequestId();
  const { status, type, message } = refusal;
  if (onRefused) {
    const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
    onRefused({ status, message, requestId, peer: `${hostname}:${port}` });
  }
  try {
    await writeAll(conn, errorResponse(status, type, message, requestId));
  } catch {
    // The client is gone already.
  }
}

/**
 * A connection's read buffer: small while a connection carries small things (request heads, SSE
 * events: one buffer per direction and open connection, so its size is memory per stream), and
 * grown while reads keep filling it (a large body or answer), so big transfers take few reads.
 * With 500 open streams, 4 KiB buffers here and in the upstream body guard instead of 16 KiB
 * measured 39.8 -> 12.0 MB of ArrayBuffer memory.
 */
export class ReadBuffer {
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

/** `a` then `b`, copied only when both have bytes. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  if (b.byteLength === 0) return a;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}
