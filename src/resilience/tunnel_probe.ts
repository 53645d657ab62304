/**
 * The connect probe through an HTTP proxy. fetch reaches an https upstream through a proxy by a
 * CONNECT tunnel, which the proxy opens by connecting to the upstream itself: a proxy in front of
 * an upstream that drops packets (or a proxy that takes connections and then hangs) accepts the
 * probe's connection at once and then says nothing, so a probe that stopped at the proxy would
 * leave only `first_byte` to bound the wait. This one asks for the same tunnel, and counts as
 * connected when the proxy says it is open.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The status line of the proxy's answer; more than this before its line end is not HTTP.
const MAX_STATUS_LINE = 1024;
const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})\b/;

/** True when fetch reaches `url` through `proxy` by a CONNECT tunnel ccp can ask for too. */
export function tunnels(url: string, proxy: string): boolean {
  // An https proxy would need TLS to the proxy first, and a socks5 one its own handshake: those
  // are probed up to the proxy only.
  return url.startsWith("https:") && proxy.startsWith("http:");
}

/**
 * Probes up to the tunnel to `url` through `proxy`, on a connection `open` makes to the proxy:
 * resolves when the proxy answers CONNECT with 2xx, rejects on any other answer (fetch then gets
 * that answer as fast; the connect phase ends either way), and closes the tunnel unused.
 */
export function tunnelProbe(
  url: string,
  proxy: string,
  open: (signal: AbortSignal) => Promise<Deno.Conn>,
): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    // Made here: a proxy URL that cannot be read fails the probe, not the request.
    const request = connectRequest(url, proxy);
    const conn = await open(signal);
    const close = () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    };
    // A read waits for the proxy with no signal of its own: closing the connection ends it.
    signal.addEventListener("abort", close, { once: true });
    try {
      for (let at = 0; at < request.length;) at += await conn.write(request.subarray(at));
      const status = await statusOf(conn);
      if (status < 200 || status > 299) {
        throw new Error(`proxy ${proxyName(proxy)} answered CONNECT with ${status}`);
      }
    } finally {
      signal.removeEventListener("abort", close);
      close();
    }
  };
}

/** The CONNECT request for `url`'s host and port, with the proxy URL's credentials if any. */
export function connectRequest(url: string, proxy: string): Uint8Array {
  const target = new URL(url);
  // `host` keeps an IPv6 literal bracketed, as the request line needs it.
  const authority = `${target.hostname}:${target.port || "443"}`;
  const via = new URL(proxy);
  let credentials = "";
  if (via.username !== "" || via.password !== "") {
    const pair = encoder.encode(
      `${decodeURIComponent(via.username)}:${decodeURIComponent(via.password)}`,
    );
    credentials = `Proxy-Authorization: Basic ${btoa(String.fromCharCode(...pair))}\r\n`;
  }
  return encoder.encode(
    `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${credentials}\r\n`,
  );
}

/** The status code of the proxy's answer, read from its first line. */
async function statusOf(conn: Deno.Conn): Promise<number> {
  const buffer = new Uint8Array(MAX_STATUS_LINE);
  let length = 0;
  while (length < buffer.length) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) break;
    length += read;
    const text = decoder.decode(buffer.subarray(0, length));
    const end = text.indexOf("\n");
    if (end < 0) continue;
    const status = STATUS_LINE.exec(text.slice(0, end));
    if (!status) throw new Error("the proxy's answer to CONNECT is not HTTP");
    return Number(status[1]);
  }
  throw new Error("the proxy closed the connection without answering CONNECT");
}

function proxyName(proxy: string): string {
  const url = new URL(proxy);
  return url.host;
}
