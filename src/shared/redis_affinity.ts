/**
 * Session affinity in Redis: one hash per session, named by a SHA-256 of its id (never the id
 * itself), whose fields are `key:<provider>` (a key's hash id, as the guards name keys) and
 * `target:<route>` (`provider/model`), each beside `at:<field>`, the time of its choice (epoch
 * ms), and which expires `ttl` after the session's last request. A read and its expiry renewal go
 * out together: one round trip per request. The times are fields of their own so that an instance
 * that knows none (a ccp from before them, during a rolling upgrade) still reads the choices.
 */

import type { Chosen, SharedAffinity, SharedChoices } from "../resilience/shared_affinity.ts";

/** A Redis hash's fields, read, and the writes this module makes. */
export interface AffinityClient {
  hGetAll(key: string): Promise<Record<string, string>>;
  pExpire(key: string, ms: number): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

// Writes a choice and its time unless the one stored is newer (two instances' writes may land in
// either order), and renews the session's expiry. A choice without a time (written by a ccp from
// before them) is older than any.
export const KEEP_SCRIPT = `
local at = tonumber(redis.call('HGET', KEYS[1], 'at:' .. ARGV[1]) or '') or -1
if at <= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], 'at:' .. ARGV[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
`;

/** How the guards lend their connection: a call bounded in time, refused while Redis is away. */
export interface AffinityLink {
  call<T>(run: (client: AffinityClient) => Promise<T>): Promise<T>;
  isDown(): boolean;
  /** The ids of `provider`'s keys, in their order. */
  ids(provider: string, keys: readonly string[]): Promise<readonly string[]>;
}

/** Sessions remembered with their Redis names, so a session's hash is computed once. */
const MAX_NAMES = 10_000;

/** Session affinity kept in Redis under `prefix`. */
export class RedisAffinity implements SharedAffinity {
  readonly #link: AffinityLink;
  readonly #prefix: string;
  readonly #names = new Map<string, Promise<string>>();

  constructor(link: AffinityLink, prefix: string) {
    this.#link = link;
    this.#prefix = prefix;
  }

  async load(
    session: string,
    ttlMs: number,
    keysOf: (provider: string) => readonly string[],
  ): Promise<SharedChoices | undefined> {
    if (this.#link.isDown()) return undefined;
    const name = await this.#name(session);
    let fields: Record<string, string>;
    try {
      // Sent in one tick, the two go out as one pipelined round trip.
      [fields] = await this.#link.call((c) =>
        Promise.all([c.hGetAll(name), c.pExpire(name, ttlMs)])
      );
    } catch {
      return undefined;
    }
    const keys = new Map<string, Chosen<number>>();
    const targets = new Map<string, Chosen<string>>();
    for (const [field, value] of Object.entries(fields)) {
      const at = timeOf(fields[`at:${field}`]);
      if (field.startsWith("target:")) targets.set(field.slice("target:".length), { value, at });
      else if (field.startsWith("key:")) {
        const provider = field.slice("key:".length);
        const index = (await this.#link.ids(provider, keysOf(provider))).indexOf(value);
        if (index >= 0) keys.set(provider, { value: index, at });
      }
    }
    return keys.size + targets.size > 0 ? { keys, targets } : undefined;
  }

  keepKey(
    session: string,
    ttlMs: number,
    provider: string,
    keys: readonly string[],
    chosen: Chosen<number>,
  ): void {
    void this.#link.ids(provider, keys).then((ids) => {
      const id = ids[chosen.value];
      if (id !== undefined) this.#write(session, ttlMs, `key:${provider}`, id, chosen.at);
    });
  }

  keepTarget(session: string, ttlMs: number, route: string, chosen: Chosen<string>): void {
    this.#write(session, ttlMs, `target:${route}`, chosen.value, chosen.at);
  }

  #write(session: string, ttlMs: number, field: string, value: string, at: number): void {
    if (this.#link.isDown()) return;
    const args = [field, String(Math.floor(at)), value, String(ttlMs)];
    void this.#name(session)
      .then((name) =>
        this.#link.call((c) => c.eval(KEEP_SCRIPT, { keys: [name], arguments: args }))
      )
      // A lost write costs only a move on another instance; the monitor reports Redis away.
      .catch(() => {});
  }

  #name(session: string): Promise<string> {
    let name = this.#names.get(session);
    if (!name) {
      name = crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ccp session\n${session}`))
        .then((d) =>
          `${this.#prefix}affinity:${
            Array.from(new Uint8Array(d, 0, 16), (b) => b.toString(16).padStart(2, "0")).join("")
          }`
        );
      if (this.#names.size >= MAX_NAMES) this.#names.delete(this.#names.keys().next().value!);
      this.#names.set(session, name);
    }
    return name;
  }
}

/** The time a choice was made; one stored without a time is older than any. */
function timeOf(stored: string | undefined): number {
  const at = stored === undefined ? NaN : Number(stored);
  return Number.isFinite(at) ? at : -1;
}
