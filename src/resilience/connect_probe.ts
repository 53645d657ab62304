/**
 * The connect timeout's probe. Deno's fetch neither reports when its connection is established
 * nor takes a connect timeout, and a host that drops packets (a machine that is off, a firewall)
 * leaves its connect waiting for the system's SYN retries (minutes): the request would wait for
 * `first_byte` before failing over. So while fetch connects, ccp opens a TCP connection of its own
 * to the same place (through an HTTP proxy, up to the tunnel: see tunnel_probe.ts);
 * `timeouts.connect` runs until that probe connects or fails.
 *
 * A probe costs a connection the upstream sees opened and closed unused, so it is made only when
 * fetch is likely to connect anew: not while the place answered within the last minute (fetch
 * then reuses a pooled connection), and never for a fetch that is not the runtime's (its caller
 * decides). A proxy from the environment is known: ccp routes requests itself (upstream/http/
 * clients.ts) and passes the proxy it chose, so it is probed as a provider's own `proxy` is.
 */

import { tunnelProbe, tunnels } from "./tunnel_probe.ts";

/** Resolves once a connection is up (and closes it); rejects when it cannot be made. */
export type ConnectProbe = (signal: AbortSignal) => Promise<void>;

const DEFAULT_PORT: Readonly<Record<string, number>> = {
  "http:": 80,
  "https:": 443,
  "socks5:": 1080,
  "socks5h:": 1080,
};

/** A host name's addresses (IPv4 and IPv6); rejects when there are none. */
export type Resolve = (hostname: string, signal: AbortSignal) => Promise<string[]>;

async function resolveBoth(hostname: string, signal: AbortSignal): Promise<string[]> {
  const found = await Promise.allSettled(
    (["A", "AAAA"] as const).map((type) => Deno.resolveDns(hostname, type, { signal })),
  );
  const addresses = found.flatMap((r) => r.status === "fulfilled" ? r.value : []);
  if (addresses.length === 0) throw new Error(`no address for ${hostname}`);
  return addresses;
}

/** A name the system resolves (its hosts file, mDNS): not worth asking DNS about. */
function isLocalName(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || !hostname.includes(".");
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|.*:.*)$/;

/**
 * Probes the host fetch will connect to: the proxy when one is set, else the URL's host; through
 * an HTTP proxy to an https upstream, up to the tunnel the proxy opens (see tunnel_probe.ts).
 */
export function tcpConnectProbe(url: string, proxy?: string, resolve = resolveBoth): ConnectProbe {
  const { hostname, port } = placeOf(url, proxy);
  const open = openFirst(hostname, port, resolve);
  if (proxy && tunnels(url, proxy)) return tunnelProbe(url, proxy, open);
  return async (signal) => (await open(signal)).close();
}

/**
 * Opens a connection to `hostname:port`. A name is also looked up, and each of its addresses
 * tried: Deno.connect tries only the first address the system gives, where fetch moves on to the
 * other family after a moment, so a host whose IPv6 route drops packets would keep the probe
 * waiting while fetch had long connected over IPv4. The first connection made is the one
 * returned (any made later is closed); it fails only when every attempt has failed.
 */
function openFirst(
  hostname: string,
  port: number,
  resolve: Resolve,
): (signal: AbortSignal) => Promise<Deno.Conn> {
  const viaDns = !IP_LITERAL.test(hostname) && !isLocalName(hostname);
  return (signal) => {
    let made = false;
    const connect = async (host: string) => {
      const conn = await Deno.connect({ hostname: host, port, signal });
      if (made) {
        conn.close();
        throw new Error("connected already");
      }
      made = true;
      return conn;
    };
    const attempts = [connect(hostname)];
    if (viaDns) {
      attempts.push(resolve(hostname, signal).then((all) => Promise.any(all.map(connect))));
    }
    return Promise.any(attempts);
  };
}

function placeOf(url: string, proxy?: string): { hostname: string; port: number } {
  const target = new URL(proxy ?? url);
  const port = target.port === "" ? DEFAULT_PORT[target.protocol] ?? 80 : Number(target.port);
  // URL keeps IPv6 literals bracketed; Deno.connect wants them bare.
  return { hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

// Below the idle time after which fetch's pool drops a connection (90 s).
const ANSWERED_RECENTLY_MS = 60_000;
// Upstream places are few (one or two per provider); the bound only keeps a mistake small.
const MAX_PLACES = 256;

/** When each place (host and port, or proxy) last answered, for whether to probe it again. */
export class ConnectProbes {
  readonly #answered = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** The probe for a request to `url` (through `proxy`), or none when fetch will not connect. */
  probeFor(url: string, proxy?: string): ConnectProbe | undefined {
    const answered = this.#answered.get(keyOf(url, proxy));
    if (answered !== undefined && this.#now() - answered < ANSWERED_RECENTLY_MS) return undefined;
    return tcpConnectProbe(url, proxy);
  }

  /** The place answered (any status): its connection is pooled for the next request. */
  answered(url: string, proxy?: string): void {
    const key = keyOf(url, proxy);
    if (!this.#answered.has(key) && this.#answered.size >= MAX_PLACES) this.#answered.clear();
    this.#answered.set(key, this.#now());
  }
}

function keyOf(url: string, proxy?: string): string {
  // The origin without parsing the URL: scheme, host and port end at the first "/" after "//".
  const end = url.indexOf("/", url.indexOf("//") + 2);
  const origin = end < 0 ? url : url.slice(0, end);
  // Through a proxy, each upstream has a tunnel of its own.
  return proxy ? `${proxy} ${origin}` : origin;
}

/** The probes of requests made with the runtime's own fetch. */
export const CONNECT_PROBES = new ConnectProbes();
