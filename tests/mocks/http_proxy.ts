/**
 * A mock HTTP proxy on 127.0.0.1 that records what reaches it: CONNECT requests (https targets)
 * and absolute-form requests (`GET http://host/path`, http targets). A CONNECT is answered with
 * the status `connect` gives for its authority, or never ("hang"), or opened to 127.0.0.1 at the
 * port it gives as `{ tunnelTo }`; an absolute-form request is
 * answered with the status `refuse` gives for its URL, else forwarded to 127.0.0.1:`forwardTo`
 * whatever its host, or answered 502 without one.
 */

/** A running mock proxy. */
export interface MockProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Each request line, in arrival order (`CONNECT gated.test:443 HTTP/1.1`, …). */
  readonly seen: string[];
  /** The Proxy-Authorization header of each request, or "" without one. */
  readonly authorizations: string[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts the proxy; `connect` maps a CONNECT authority to its answer (default 502). */
export function startMockProxy(
  options: {
    connect?: (authority: string) => number | "hang" | { tunnelTo: number };
    refuse?: (url: string) => number | undefined;
    forwardTo?: number;
  } = {},
): MockProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const seen: string[] = [];
  const authorizations: string[] = [];
  const serve = async (conn: Deno.Conn) => {
    open.add(conn);
    try {
      const { head, rest } = await readHead(conn);
      const [line = "", ...fields] = head.split("\r\n");
      seen.push(line);
      const auth = fields.find((f) => /^proxy-authorization:/i.test(f));
      authorizations.push(auth ? auth.slice(auth.indexOf(":") + 1).trim() : "");
      const [method = "", target = ""] = line.split(" ");
      if (method === "CONNECT") {
        const answer = options.connect?.(target) ?? 502;
        if (answer === "hang") return await new Promise<void>(() => {});
        if (typeof answer === "object") {
          const upstream = await Deno.connect({ hostname: "127.0.0.1", port: answer.tunnelTo });
          open.add(upstream);
          await conn.write(encoder.encode("HTTP/1.1 200 Connection established\r\n\r\n"));
          await pipeBoth(conn, upstream, rest);
          return;
        }
        await conn.write(encoder.encode(`HTTP/1.1 ${answer} Mock\r\ncontent-length: 0\r\n\r\n`));
        return;
      }
      const refused = options.refuse?.(target) ?? (options.forwardTo === undefined ? 502 : 0);
      if (refused) {
        await conn.write(encoder.encode(`HTTP/1.1 ${refused} Mock\r\ncontent-length: 0\r\n\r\n`));
        return;
      }
      const path = new URL(target).pathname + new URL(target).search;
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: options.forwardTo! });
      open.add(upstream);
      const rewritten = [line.replace(target, path), ...fields].join("\r\n") + "\r\n\r\n";
      await upstream.write(encoder.encode(rewritten));
      await pipeBoth(conn, upstream, rest);
    } catch {
      // The client or ccp went away: nothing to record.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  const port = listener.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    authorizations,
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
      await accepting;
    },
  };
}

/** Sends `rest` on, then copies both ways until either side ends; closes `upstream`. */
async function pipeBoth(conn: Deno.Conn, upstream: Deno.Conn, rest: Uint8Array): Promise<void> {
  try {
    if (rest.length > 0) await upstream.write(rest);
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable, { preventClose: true }),
      upstream.readable.pipeTo(conn.writable, { preventClose: true }),
    ]);
  } finally {
    try {
      upstream.close();
    } catch {
      // Closed already.
    }
  }
}

/** Reads up to the end of the request head; `rest` is what came after it. */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array }> {
  let bytes = new Uint8Array(0);
  const buffer = new Uint8Array(16384);
  while (true) {
    const read = await conn.read(buffer);
    if (read === null) throw new Error("closed before the request head ended");
    const joined = new Uint8Array(bytes.length + read);
    joined.set(bytes);
    joined.set(buffer.subarray(0, read), bytes.length);
    bytes = joined;
    const text = decoder.decode(bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const headBytes = encoder.encode(text.slice(0, end + 4)).length;
      return { head: text.slice(0, end), rest: bytes.subarray(headBytes) };
    }
  }
}
