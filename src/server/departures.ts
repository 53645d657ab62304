/**
 * Noticing a client that hangs up while its request waits for the upstream's first byte.
 *
 * Deno's HTTP server does not signal such a departure before the response starts when the
 * request body was more than a few hundred bytes (every Claude Code request): the upstream
 * request, its concurrency slot and its rate-limit grant would be held until the upstream
 * answered. The kernel knows: the server's end of a connection the client closed is in
 * CLOSE-WAIT, or gone. While requests wait, this asks `ss` (iproute2, on every Linux) for the
 * sockets on ccp's port a few times a second -- one call for all waiting requests, none when
 * nobody waits. Deno reads /proc/net/tcp only with every permission, which ccp does not ask for.
 * Where `ss` is missing, departures are noticed when the answer starts.
 *
 * Behind the connection guard no asking is needed: the guard reads the client's connection
 * itself and says at once when it ends (`gone`), on every system the guard runs on.
 */

import { type Cancel, deadline } from "../core/deadlines.ts";

/** The client end of a connection, as the server saw it. */
export interface Peer {
  readonly hostname: string;
  readonly port: number;
  /** The server port the client connected to (the Host header says). */
  readonly localPort?: number;
  /** True when the connection guard reports this client's departure itself. */
  readonly reported?: boolean;
  /** The guard's number for the connection (with `reported`). */
  readonly connection?: number;
}

/** The key the connection guard reports a departure by: `host:port#n`. */
function reportedKey(peer: Peer): string {
  return `${peer.hostname}:${peer.port}#${peer.connection}`;
}

/** One TCP socket of ccp's port: its state and its peer (`host|port`). */
export interface SocketRow {
  readonly state: string;
  readonly local: string;
  readonly peer: string;
}

/** Lists the TCP sockets whose local port is `port`. */
export type SocketLister = (port: number) => Promise<SocketRow[]>;

interface Watch {
  readonly peer: string;
  readonly port: number;
  readonly onGone: () => void;
  /** The connection was listed on `port` once: that is the port it came in on. */
  seen?: boolean;
}

const CLOSING = new Set(["CLOSE-WAIT", "LAST-ACK", "CLOSING", "CLOSED"]);
/**
 * How long a reported departure is remembered, for a request that registers just after it. Keys
 * carry the guard's connection number, so a later connection from the same port (ports are
 * reused within seconds under load) is never taken for the one that left.
 */
const REMEMBER_GONE_MS = 5000;

/** `host|port` with IPv6 brackets and the IPv4-mapped prefix removed, lower case. */
export function normalAddress(host: string, port: number | string): string {
  const bare = host.replace(/^\[|\]$/g, "").replace(/^::ffff:(?=\d+\.)/i, "").split("%")[0]!;
  return `${bare.toLowerCase()}|${port}`;
}

/** Parses `ss -Htn` lines: state, queues, local address:port, peer address:port. */
export function parseSs(text: string): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const line of text.split("\n")) {
    const [state, , , local, peer] = line.trim().split(/\s+/);
    if (!state || !local || !peer) continue;
    const split = (a: string) => {
      const cut = a.lastIndexOf(":");
      return normalAddress(a.slice(0, cut), a.slice(cut + 1));
    };
    rows.push({ state, local: split(local), peer: split(peer) });
  }
  return rows;
}

/** Asks `ss` for the sockets on `port`. */
const ssLister: SocketLister = async (port: number): Promise<SocketRow[]> => {
  const out = await new Deno.Command("ss", {
    args: ["-Htn", `sport = :${port}`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`ss exited with ${out.code}`);
  return parseSs(new TextDecoder().decode(out.stdout));
};

/** Watches waiting requests' connections; one timer and one listing for all of them. */
export class DepartureWatcher {
  readonly #watches = new Set<Watch>();
  // Clients behind the guard, by `host:port#n`: the guard says when they leave.
  readonly #reported = new Map<string, Set<() => void>>();
  readonly #recentlyGone = new Map<string, number>();
  readonly #intervalMs: number;
  readonly #list: SocketLister;
  #timer: Cancel | undefined;
  #available: boolean;

  /** `list` is injected for tests; by default `ss` is asked, on Linux. */
  constructor(options: { intervalMs?: number; list?: SocketLister } = {}) {
    this.#intervalMs = options.intervalMs ?? 300;
    this.#list = options.list ?? ssLister;
    this.#available = options.list !== undefined || Deno.build.os === "linux";
  }

  /** Calls `onGone` once if `peer` hangs up before the returned function is called. */
  watch(peer: Peer | undefined, onGone: () => void): () => void {
    if (peer?.reported) return this.#watchReported(reportedKey(peer), onGone);
    if (!peer || peer.localPort === undefined || !this.#available) return () => {};
    const watch: Watch = {
      peer: normalAddress(peer.hostname, peer.port),
      port: peer.localPort,
      onGone,
    };
    this.#watches.add(watch);
    this.#schedule();
    return () => {
      this.#watches.delete(watch);
    };
  }

  /** The connection guard saw the client of connection `key` (`host:port#n`) close it. */
  gone(key: string): void {
    const waiting = this.#reported.get(key);
    this.#reported.delete(key);
    for (const onGone of waiting ?? []) onGone();
    const now = Date.now();
    for (const [old, at] of this.#recentlyGone) {
      if (now - at < REMEMBER_GONE_MS) break;
      this.#recentlyGone.delete(old);
    }
    this.#recentlyGone.delete(key);
    this.#recentlyGone.set(key, now);
  }

  #watchReported(key: string, onGone: () => void): () => void {
    const gone = this.#recentlyGone.get(key);
    if (gone !== undefined && Date.now() - gone < REMEMBER_GONE_MS) {
      queueMicrotask(onGone);
      return () => {};
    }
    let waiting = this.#reported.get(key);
    if (!waiting) this.#reported.set(key, waiting = new Set());
    waiting.add(onGone);
    return () => {
      waiting.delete(onGone);
      if (waiting.size === 0 && this.#reported.get(key) === waiting) this.#reported.delete(key);
    };
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = deadline(this.#intervalMs, () => void this.#check());
  }

  async #check(): Promise<void> {
    if (this.#watches.size === 0) {
      this.#timer = undefined;
      return;
    }
    const ports = new Set([...this.#watches].map((w) => w.port));
    const rows: SocketRow[] = [];
    try {
      for (const port of ports) rows.push(...await this.#list(port));
    } catch {
      // No `ss` here (or not allowed to run it): departures show when the answer starts.
      this.#available = false;
      this.#watches.clear();
      this.#timer = undefined;
      return;
    }
    for (const watch of [...this.#watches]) {
      const mine = rows.filter((r) => r.peer === watch.peer && r.local.endsWith(`|${watch.port}`));
      // The port is the Host header's, which may not be the one the client reached ccp on (a port
      // mapping, a tunnel, a reverse proxy passing the client's Host): a connection never listed
      // there cannot be watched there, and is noticed when the answer starts, as without `ss`.
      if (mine.length === 0 && !watch.seen) {
        this.#watches.delete(watch);
        continue;
      }
      watch.seen = true;
      // Gone from the list, or closing: the client left.
      if (mine.length === 0 || mine.every((r) => CLOSING.has(r.state))) {
        this.#watches.delete(watch);
        watch.onGone();
      }
    }
    this.#timer = undefined;
    if (this.#watches.size > 0) this.#schedule();
  }
}
