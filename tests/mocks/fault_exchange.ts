/**
 * One exchange of the fault mock (fault_mock.ts) on a raw socket: reading an HTTP/1.1 request
 * within size limits, and writing the answer its fault asks for — a status, a stream that
 * drips, stalls or is cut, or nothing at all — while noticing when the client leaves.
 */

import {
  encodeEvents,
  openingMessage,
  type SseEvent,
  sseEvent as ev,
} from "./anthropic_fixtures.ts";
import { concatBytes } from "../helpers/bytes.ts";
import type { Fault, FaultRecord } from "./fault_mock.ts";

const encoder = new TextEncoder();
const HEAD_LIMIT = 64 * 1024;
const BODY_LIMIT = 16 * 1024 * 1024;
const CRLF2 = encoder.encode("\r\n\r\n");
const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  401: "Unauthorized",
  403: "Forbidden",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  529: "Overloaded",
};
const ERROR_TYPES: Readonly<Record<number, string>> = {
  401: "authentication_error",
  403: "permission_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};

/** The SSE events of a short normal answer for `model`. */
function answerEvents(model: string, deltas = 4): SseEvent[] {
  return [
    ev("message_start", {
      message: openingMessage("msg_fault_mock", model, { input_tokens: 12, output_tokens: 1 }),
    }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ...Array.from(
      { length: deltas },
      (_, i) =>
        ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: `token${i} ` } }),
    ),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: deltas },
    }),
    ev("message_stop"),
  ];
}
/** One request/answer on one connection: notices the client leaving, ends once. */
export class Exchange {
  /** Settles when the client closes its side (any read ending after the request). */
  readonly gone: Promise<"gone">;
  #over = false;

  constructor(
    readonly conn: Deno.Conn,
    readonly record: FaultRecord,
    readonly onAbort: () => void,
  ) {
    this.gone = (async () => {
      const scratch = new Uint8Array(1024);
      try {
        while ((await conn.read(scratch)) !== null) { /* pipelined bytes are ignored */ }
      } catch {
        // Reset by the client, or closed by us after end().
      }
      this.clientLeft();
      return "gone" as const;
    })();
  }

  /** The client went away: an abort unless the answer was already over. */
  clientLeft(): void {
    if (this.#over) return;
    this.#over = true;
    this.record.aborted = true;
    this.record.endedAt = performance.now();
    this.onAbort();
  }

  /** The mock finished (or gave up on) the answer. */
  end(): void {
    if (this.#over) return;
    this.#over = true;
    this.record.endedAt = performance.now();
  }

  /** Waits `ms`, or less if the client leaves; true if it left. */
  async hold(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const elapsed = new Promise<"elapsed">((resolve) => {
      timer = setTimeout(resolve, ms, "elapsed");
    });
    try {
      return (await Promise.race([elapsed, this.gone])) === "gone";
    } finally {
      clearTimeout(timer);
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }
}

/** Writes the answer `fault` asks for; resolves when the exchange is over. */
export async function answer(exchange: Exchange, fault: Fault, maxHoldMs: number): Promise<void> {
  const { record } = exchange;
  if (fault.kind === "hang") {
    await exchange.hold(maxHoldMs);
    return;
  }
  if (fault.kind === "status") {
    const body = JSON.stringify({
      type: "error",
      error: {
        type: ERROR_TYPES[fault.status] ?? "api_error",
        message: fault.message ?? `mock ${fault.status}`,
      },
    });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...fault.headers,
      "content-length": String(encoder.encode(body).length),
    };
    if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
    record.status = fault.status;
    await exchange.write(head(fault.status, headers));
    await exchange.write(encoder.encode(body));
    return exchange.end();
  }
  const events = answerEvents(record.model ?? "mock-model", "deltas" in fault ? fault.deltas : 4);
  const limit = fault.kind === "reset"
    ? fault.afterEvents
    : fault.kind === "stall"
    ? fault.afterEvents ?? 0
    : events.length;
  record.status = 200;
  await exchange.write(head(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "transfer-encoding": "chunked",
  }));
  for (let i = 0; i < Math.min(limit, events.length); i++) {
    if (fault.kind === "drip" && i > 0 && await exchange.hold(fault.everyMs)) return;
    await exchange.write(chunk(encodeEvents([events[i]!])));
    record.eventsSent++;
  }
  if (fault.kind === "stall") await exchange.hold(maxHoldMs);
  else if (fault.kind !== "reset") await exchange.write(encoder.encode("0\r\n\r\n"));
  // A reset ends here: the socket is closed without the final chunk.
  exchange.end();
}

function head(status: number, headers: Record<string, string>): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`, "connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
}

function chunk(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const size = encoder.encode(`${bytes.length.toString(16)}\r\n`);
  const out = new Uint8Array(size.length + bytes.length + 2);
  out.set(size);
  out.set(bytes, size.length);
  out.set([13, 10], size.length + bytes.length);
  return out;
}

export function keyOf(headers: Headers): string | undefined {
  const direct = headers.get("x-api-key");
  if (direct) return direct;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "");
  return bearer?.[1]?.trim();
}

export function parseJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (bytes.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** Reads one HTTP/1.1 request (Content-Length or chunked body); null if the client left first. */
export async function readRequest(
  conn: Deno.Conn,
): Promise<{ method: string; path: string; headers: Headers; body: Uint8Array } | null> {
  const buffer = new Buffered(conn);
  const headEnd = await buffer.until(CRLF2, HEAD_LIMIT);
  if (headEnd < 0) return null;
  const lines = new TextDecoder().decode(buffer.take(headEnd + 4)).split("\r\n");
  const [method = "", target = "/"] = (lines[0] ?? "").split(" ");
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body: Uint8Array;
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const lineEnd = await buffer.until(CRLF2.subarray(2), 1024);
      if (lineEnd < 0) return null;
      const size = parseInt(new TextDecoder().decode(buffer.take(lineEnd + 2)), 16);
      if (!Number.isFinite(size) || (total += size) > BODY_LIMIT) return null;
      if (!(await buffer.fill(size + 2))) return null;
      if (size === 0) break;
      parts.push(buffer.take(size + 2).subarray(0, size));
    }
    body = concatBytes(parts);
  } else {
    const length = Number(headers.get("content-length") ?? "0");
    if (!Number.isInteger(length) || length < 0 || length > BODY_LIMIT) return null;
    if (!(await buffer.fill(length))) return null;
    body = buffer.take(length);
  }
  return { method, path: target, headers, body };
}

/** A read buffer over a connection. */
class Buffered {
  #data: Uint8Array = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  /** Reads until `bytes` are buffered; false if the connection ended first. */
  async fill(bytes: number): Promise<boolean> {
    while (this.#data.length < bytes) if (!(await this.#more())) return false;
    return true;
  }

  /** Index of `needle` in the buffer, reading more as needed; -1 past `limit` or at EOF. */
  async until(needle: Uint8Array, limit: number): Promise<number> {
    for (;;) {
      const at = indexOf(this.#data, needle);
      if (at >= 0) return at;
      if (this.#data.length > limit || !(await this.#more())) return -1;
    }
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.#data.slice(0, n);
    this.#data = this.#data.slice(n);
    return out;
  }

  async #more(): Promise<boolean> {
    const scratch = new Uint8Array(16 * 1024);
    const n = await this.conn.read(scratch);
    if (n === null) return false;
    this.#data = concatBytes([this.#data, scratch.subarray(0, n)]);
    return true;
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
