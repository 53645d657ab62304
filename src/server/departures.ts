/**
 * Noticing a client that hangs up while its request waits for the upstream's first byte.
 *
 * Deno's HTTP server does not signal such a departure before the response starts when the
 * request body was more than a few hundred bytes (every Claude Code request): the upstream
 * request, its concurrency slot and its rate-limit grant would be held until the upstream
 * answered. On Linux the kernel's socket table says it: the server's end of a connection the
 * client closed is in CLOSE_WAIT, or gone. While requests wait, this reads that table a few
 * times a second (one file read for all of them, none when nobody waits). Elsewhere there is
 * no such table, and departures are noticed when the answer starts.
 */

/** The client end of a connection, as the server saw it. */
export interface Peer {
  readonly hostname: string;
  readonly port: number;
  /** The server port the client connected to, when known (the Host header says). */
  readonly localPort?: number;
}

interface Watch {
  readonly peer: string;
  /** `:PORT` suffix of the server's end, in the table's hex form. */
  readonly local?: string;
  readonly onGone: () => void;
}

/** One socket of the kernel's table. */
interface SocketEntry {
  readonly local: string;
  readonly state: string;
}

const CLOSE_WAIT = "08";
const CLOSED_STATES = new Set([CLOSE_WAIT, "07", "09", "0B"]); // CLOSE_WAIT, CLOSE, LAST_ACK, CLOSING
const TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

/** `/proc/net/tcp` address form of a peer: hex IP (per 32-bit word, little-endian) and port. */
export function procAddress(peer: Peer): string | undefined {
  const port = peer.port.toString(16).toUpperCase().padStart(4, "0");
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(peer.hostname);
  if (v4) {
    const hex = v4.slice(1).map((n) => Number(n).toString(16).toUpperCase().padStart(2, "0"));
    const word = hex.reverse().join("");
    // An IPv4 peer on an IPv6 socket appears as ::ffff:a.b.c.d.
    return peer.hostname.includes(":")
      ? `0000000000000000FFFF0000${word}:${port}`
      : `${word}:${port}`;
  }
  const words = expandIpv6(peer.hostname);
  if (!words) return undefined;
  let out = "";
  for (let i = 0; i < 8; i += 2) {
    const bytes = (words[i]! + words[i + 1]!).match(/../g)!;
    out += bytes.reverse().join("").toUpperCase();
  }
  return `${out}:${port}`;
}

function expandIpv6(address: string): string[] | undefined {
  const clean = address.replace(/^\[|\]$/g, "").split("%")[0]!;
  if (!clean.includes(":")) return undefined;
  const [head, tail] = clean.split("::") as [string, string | undefined];
  const a = head ? head.split(":") : [];
  const b = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - a.length - b.length).fill("0");
  const all = [...a, ...fill, ...b];
  if (all.length !== 8 || all.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) return undefined;
  return all.map((w) => w.padStart(4, "0"));
}

/** Sockets by remote address, from the kernel's tables (empty where there are none). */
export function readSocketStates(read: (path: string) => string): Map<string, SocketEntry[]> {
  const states = new Map<string, SocketEntry[]>();
  for (const table of TABLES) {
    let text: string;
    try {
      text = read(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const remote = fields[2];
      const state = fields[3];
      if (!local || !remote || !state) continue;
      const list = states.get(remote);
      if (list) list.push({ local, state });
      else states.set(remote, [{ local, state }]);
    }
  }
  return states;
}

/** Watches waiting requests' connections; one timer for all of them. */
export class DepartureWatcher {
  readonly #watches = new Set<Watch>();
  readonly #intervalMs: number;
  readonly #read: (path: string) => string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #available: boolean;

  /** `read` is injected for tests; it reads the kernel's socket tables by default. */
  constructor(options: { intervalMs?: number; read?: (path: string) => string } = {}) {
    this.#intervalMs = options.intervalMs ?? 250;
    this.#read = options.read ?? ((path) => Deno.readTextFileSync(path));
    this.#available = options.read !== undefined || Deno.build.os === "linux";
  }

  /** Calls `onGone` once if `peer` hangs up before the returned function is called. */
  watch(peer: Peer | undefined, onGone: () => void): () => void {
    const address = peer && this.#available ? procAddress(peer) : undefined;
    if (!address) return () => {};
    const local = peer?.localPort === undefined
      ? undefined
      : `:${peer.localPort.toString(16).toUpperCase().padStart(4, "0")}`;
    const watch: Watch = { peer: address, local, onGone };
    this.#watches.add(watch);
    this.#schedule();
    return () => {
      this.#watches.delete(watch);
      if (this.#watches.size === 0) this.#stop();
    };
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#check(), this.#intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#watches.size === 0) return;
    let states: Map<string, SocketEntry[]>;
    try {
      states = readSocketStates(this.#read);
    } catch {
      this.#available = false;
      return;
    }
    if (states.size === 0) {
      // No table to read (a sandbox without /proc): nothing to learn here.
      this.#available = false;
      this.#watches.clear();
      return;
    }
    for (const watch of [...this.#watches]) {
      // The same client port may also talk to another server on this machine: look at the
      // socket on ccp's port when there is one.
      const all = states.get(watch.peer) ?? [];
      const ours = watch.local ? all.filter((e) => e.local.endsWith(watch.local!)) : [];
      const found = ours.length > 0 ? ours : all;
      // Gone from the table, or closing: the client left.
      if (found.length === 0 || found.every((e) => CLOSED_STATES.has(e.state))) {
        this.#watches.delete(watch);
        watch.onGone();
      }
    }
    if (this.#watches.size > 0) this.#schedule();
  }
}
