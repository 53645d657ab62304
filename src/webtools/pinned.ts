/**
 * An HTTP client for `web_fetch` that connects to the addresses ccp checked, not to whatever the
 * host name resolves to a moment later: a name whose DNS answer changes between the check and the
 * connection (DNS rebinding) would otherwise pass the check with a public address and then reach
 * loopback, the LAN or a cloud metadata service.
 *
 * Deno's fetch cannot be handed addresses for a name, so the client goes through a relay on
 * loopback that this fetch alone uses, and the relay connects to the checked addresses in turn,
 * as a browser tries a name's addresses: a host with one address down, or an IPv6 address this
 * machine has no route to, is still reached at another. For `http` the client sends every request
 * to the relay as to the site (Deno's `tcp` transport, with the URL's own Host header) and the
 * relay passes the bytes on. For `https` that transport speaks plain HTTP, so the client asks the
 * relay for a tunnel (CONNECT) to the URL's host, and TLS runs end to end inside it, with the
 * URL's name for SNI and the certificate check.
 */

/** A client bound to the checked addresses; `close` ends it and anything it holds open. */
export interface PinnedClient {
  readonly client: Deno.HttpClient;
  /** Why no address could be connected to, once every one was tried and none answered. */
  unreachable(): string | undefined;
  close(): void;
}

/** At most this many of a name's addresses are tried, in the resolver's order. */
export const MAX_TRIED = 4;
/** How long one address may take to accept before the next is tried (the last has the rest). */
const CONNECT_MS = 3000;

/** A client whose connections for `url` all go to the first of `addresses` that accepts. */
export function pinnedClient(
  url: URL,
  addresses: readonly string[],
  signal?: AbortSignal,
): PinnedClient {
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const tried = [...new Set(addresses)].slice(0, MAX_TRIED);
  const tunnel = url.protocol === "https:" ? `${url.hostname}:${port}`.toLowerCase() : undefined;
  const relay = openRelay(tried, port, tunnel, signal);
  const client = Deno.createHttpClient({
    proxy: tunnel
      ? { url: `http://127.0.0.1:${relay.port}` }
      : { transport: "tcp", hostname: "127.0.0.1", port: relay.port },
  });
  return {
    client,
    unreachable: relay.unreachable,
    close: () => {
      client.close();
      relay.close();
    },
  };
}

/** The most a tunnel request's head may take. */
const MAX_HEAD = 8192;

/**
 * A loopback listener that connects each client connection to the first of `addresses` that
 * accepts. With `tunnel` set it first reads a CONNECT for that `host:port` only; anything else
 * gets 403: it is no general proxy for other programs on this machine. Without it (http), the
 * bytes go as they come, and can reach only the checked addresses.
 */
function openRelay(
  addresses: readonly string[],
  port: number,
  tunnel: string | undefined,
  signal: AbortSignal | undefined,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let closed = false;
  let unreachable: string | undefined;
  const relay = async (conn: Deno.Conn) => {
    let rest: Uint8Array = new Uint8Array();
    if (tunnel) {
      const head = await readHead(conn);
      const target = head && /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head.text)?.[1]?.toLowerCase();
      if (!head || target !== tunnel) return await answer(conn, "403 Forbidden");
      rest = head.rest;
    }
    const connected = await connectFirst(addresses, port, signal);
    if (typeof connected === "string") {
      unreachable = connected;
      if (tunnel) await answer(conn, "502 Bad Gateway");
      return;
    }
    const upstream = connected;
    // A connection that took longer than the fetch is closed, not left open by nobody.
    if (closed) return upstream.close();
    open.add(upstream);
    try {
      if (tunnel) await answer(conn, "200 Connection Established");
      if (rest.length > 0) await upstream.write(rest);
      await Promise.allSettled([
        conn.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(conn.writable),
      ]);
    } finally {
      closeQuietly(upstream, open);
    }
  };
  void (async () => {
    for await (const conn of listener) {
      open.add(conn);
      void relay(conn).catch(() => {}).finally(() => closeQuietly(conn, open));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    unreachable: () => unreachable,
    close: () => {
      closed = true;
      closeQuietly(listener);
      for (const conn of open) closeQuietly(conn, open);
    },
  };
}

/**
 * A connection to the first of `addresses` that accepts within CONNECT_MS (the last one: until
 * `signal`), or, when none does, what each said.
 */
async function connectFirst(
  addresses: readonly string[],
  port: number,
  signal: AbortSignal | undefined,
): Promise<Deno.Conn | string> {
  const failures: string[] = [];
  for (const [i, address] of addresses.entries()) {
    if (signal?.aborted) break;
    const last = i === addresses.length - 1;
    const limit = last ? signal : anySignal(signal, AbortSignal.timeout(CONNECT_MS));
    try {
      return await Deno.connect({ hostname: address, port, ...(limit ? { signal: limit } : {}) });
    } catch (err) {
      const why = limit?.aborted && !signal?.aborted
        ? `no answer within ${CONNECT_MS} ms`
        : (err as Error).message;
      failures.push(`${address}: ${why}`);
    }
  }
  return `no address of the host accepted a connection (${failures.join("; ")})`;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}

async function answer(conn: Deno.Conn, status: string): Promise<void> {
  await conn.write(new TextEncoder().encode(`HTTP/1.1 ${status}\r\n\r\n`));
}

/** The request head up to its blank line, and any bytes after it; undefined past MAX_HEAD. */
async function readHead(conn: Deno.Conn): Promise<{ text: string; rest: Uint8Array } | undefined> {
  const buffer = new Uint8Array(MAX_HEAD);
  let size = 0;
  while (size < MAX_HEAD) {
    const n = await conn.read(buffer.subarray(size));
    if (n === null) return undefined;
    size += n;
    const end = blankLineEnd(buffer, size);
    if (end >= 0) {
      // The head is ASCII: one character per byte.
      const text = String.fromCharCode(...buffer.subarray(0, end));
      return { text, rest: buffer.slice(end, size) };
    }
  }
  return undefined;
}

/** Where the first CRLF CRLF in `buffer[0, size)` ends, or -1. */
function blankLineEnd(buffer: Uint8Array, size: number): number {
  for (let i = 3; i < size; i++) {
    if (
      buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13
    ) return i + 1;
  }
  return -1;
}

function closeQuietly(resource: { close(): void }, from?: Set<Deno.Conn>): void {
  from?.delete(resource as Deno.Conn);
  try {
    resource.close();
  } catch {
    // Already closed by its other side.
  }
}
