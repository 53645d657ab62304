/**
 * Session affinity in Redis: one hash per session, named by a SHA-256 of its id (never the id
 * itself), whose fields are `key:<provider>` (a key's hash id, as the guards name keys) and
 * `target:<route>` (`provider/model`), and which expires `ttl` after the session's last request.
 * A read and its expiry renewal go out together: one round trip per request.
 */

import type { SharedAffinity, SharedChoices } from "../resilience/shared_affinity.ts";

/** A Redis hash's fields, read, and the writes this module makes. */
export interface AffinityClient {
  hGetAll(key: string): Promise<Record<string, string>>;
  hSet(key: string, field: string, value: string): Promise<unknown>;
  pExpire(key: string, ms: number): Promise<unknown>;
}

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
    const keys = new Map<string, number>();
    const targets = new Map<string, string>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith("target:")) targets.set(field.slice("target:".length), value);
      else if (field.startsWith("key:")) {
        const provider = field.slice("key:".length);
        const index = (await this.#link.ids(provider, keysOf(provider))).indexOf(value);
        if (index >= 0) keys.set(provider, index);
      }
    }
    return keys.size + targets.size > 0 ? { keys, targets } : undefined;
  }

  keepKey(
    session: string,
    ttlMs: number,
    provider: string,
    keys: readonly string[],
    index: number,
  ): void {
    void this.#link.ids(provider, keys).then((ids) => {
      const id = ids[index];
      if (id !== undefined) this.#write(session, ttlMs, `key:${provider}`, id);
    });
  }

  keepTarget(session: string, ttlMs: number, route: string, target: string): void {
    this.#write(session, ttlMs, `target:${route}`, target);
  }

  #write(session: string, ttlMs: number, field: string, value: string): void {
    if (this.#link.isDown()) return;
    void this.#name(session)
      .then((name) =>
        this.#link.call((c) => Promise.all([c.hSet(name, field, value), c.pExpire(name, ttlMs)]))
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
