/**
 * A mock upstream on raw TCP that sends a scripted answer and then holds its connection open,
 * closes it, or breaks it mid-body, as misbehaving servers do (an HTTP server library would always
 * end the body properly).
 */

import { deadline } from "../../src/core/deadlines.ts";

/** What the mock upstream does once it has sent `parts`. */
export type After =
  /** Keeps the connection open and silent until ccp lets it go. */
  | "hold"
  /** Ends the body properly (the last chunk) and closes the connection. */
  | "close"
  /** Closes the connection mid-body, without the last chunk: a broken answer. */
  | "reset";

/** One scripted answer: SSE parts, or a JSON body (sent whole, with its content-length). */
export interface HeldScript {
  readonly parts?: readonly string[];
  readonly json?: unknown;
  readonly after: After;
  /** Time between the parts (default: all sent at once). */
  readonly gapMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running held upstream. */
export interface HeldUpstream {
  readonly url: string;
  /** Resolves once ccp has closed a held connection. */
  readonly release: Promise<void>;
  close(): Promise<void>;
}

/**
 * A mock upstream on 127.0.0.1:0 answering every request with `script`, over raw TCP so that it
 * can hold a connection open after its answer, or break it, as misbehaving servers do. `release`
 * resolves once ccp has closed a held connection.
 */
export function heldUpstream(script: HeldScript): HeldUpstream {
  let onRelease = () => {};
  const release = new Promise<void>((resolve) => (onRelease = resolve));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      await readRequest(conn);
      for (const [i, piece] of answerPieces(script).entries()) {
        if (i > 0 && script.gapMs) await new Promise<void>((wake) => deadline(script.gapMs!, wake));
        await conn.write(encoder.encode(piece));
      }
      if (script.after !== "hold") return;
      // Held: whatever ccp sends is ignored; its close is the release.
      const scratch = new Uint8Array(1024);
      while ((await conn.read(scratch)) !== null) { /* ignored */ }
      onRelease();
    } catch {
      // ccp hung up: nothing to answer.
    } finally {
      if (conns.delete(conn)) conn.close();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    release,
    close: async () => {
      listener.close();
      for (const conn of conns) conn.close();
      conns.clear();
      await accepting;
    },
  };
}

/** The response the mock writes for `script`, piece by piece (SSE chunked, JSON with its length). */
function answerPieces(script: HeldScript): string[] {
  if (script.json !== undefined) {
    const body = JSON.stringify(script.json);
    return [
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" +
      `content-length: ${encoder.encode(body).length}\r\n\r\n${body}`,
    ];
  }
  const chunks = (script.parts ?? []).map((part) =>
    `${encoder.encode(part).length.toString(16)}\r\n${part}\r\n`
  );
  const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
    "transfer-encoding: chunked\r\n\r\n";
  const pieces = [head + (chunks[0] ?? ""), ...chunks.slice(1)];
  if (script.after === "close") pieces.push("0\r\n\r\n");
  return pieces;
}

/** Reads one request (its head and its content-length of body) from `conn`. */
async function readRequest(conn: Deno.Conn): Promise<void> {
  const scratch = new Uint8Array(64 * 1024);
  let text = "";
  for (;;) {
    const n = await conn.read(scratch);
    if (n === null) throw new Error("closed before a whole request");
    text += decoder.decode(scratch.subarray(0, n), { stream: true });
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) continue;
    const length = Number(/^content-length:\s*(\d+)/im.exec(text)?.[1] ?? 0);
    if (encoder.encode(text.slice(headEnd + 4)).length >= length) return;
  }
}
