/**
 * An HTTP client for `web_fetch` that connects to the address ccp checked, not to whatever the
 * host name resolves to a moment later: a name whose DNS answer changes between the check and the
 * connection (DNS rebinding) would otherwise pass the check with a public address and then reach
 * loopback, the LAN or a cloud metadata service.
 *
 * Deno's fetch cannot be handed an address for a name. For `http` it can send every request of a
 * client to one TCP address (its `tcp` transport), with the URL's own Host header. For `https`
 * that transport speaks plain HTTP, so the client goes through a CONNECT relay on loopback that
 * this fetch alone uses: fetch asks it for a tunnel to the URL's host, the relay connects to the
 * checked address, and TLS runs end to end inside the tunnel, with the URL's name for SNI and the
 * certificate check.
 */

/** A client bound to one address; `close` ends it and anything it holds open. */
export interface PinnedClient {
  readonly client: Deno.HttpClient;
  close(): void;
}

/** A client whose connections for `url` all go to `address` (the checked one). */
export function pinnedClient(url: URL, address: string): PinnedClient {
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  if (url.protocol !== "https:") {
    const client = Deno.createHttpClient({
      // The transport reads its address as a URI's host: an IPv6 one in brackets.
      proxy: { transport: "tcp", hostname: address.includes(":") ? `[${address}]` : address, port },
    });
    return { client, close: () => client.close() };
  }
  const relay = connectRelay(url.hostname, port, address);
  const client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${relay.port}` } });
  return {
    client,
    close: () => {
      client.close();
      relay.close();
    },
  };
}

/** The most a tunnel request's head may take. */
const MAX_HEAD = 8192;

/**
 * A loopback listener that answers CONNECT for `host:port` only, by connecting to `address`.
 * Anything else gets 403: it is no general proxy for other programs on this machine.
 */
function connectRelay(host: string, port: number, address: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let closed = false;
  const authority = `${host}:${port}`.toLowerCase();
  const tunnel = async (conn: Deno.Conn) => {
    const head = await readHead(conn);
    const target = head && /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head.text)?.[1]?.toLowerCase();
    if (!head || target !== authority) return await answer(conn, "403 Forbidden");
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: address, port });
    } catch {
      return await answer(conn, "502 Bad Gateway");
    }
    // A connection that took longer than the fetch is closed, not left open by nobody.
    if (closed) return upstream.close();
    open.add(upstream);
    try {
      await answer(conn, "200 Connection Established");
      if (head.rest.length > 0) await upstream.write(head.rest);
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
      void tunnel(conn).catch(() => {}).finally(() => closeQuietly(conn, open));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      closed = true;
      closeQuietly(listener);
      for (const conn of open) closeQuietly(conn, open);
    },
  };
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
