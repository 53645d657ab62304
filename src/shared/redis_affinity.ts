/**
 * Session affinity in Redis: one hash per session, named by an HMAC-SHA-256 of its id keyed by
 * the client tokens, as keys are named (never the id itself, and no hash a reader without a token
 * could match to an id they guess: a session id may be a user id, or stand for a conversation's
 * opening text), whose fields are `key:<provider>` (a key's hash id, as the guards name keys) and
 * `target:<route>` (`provider/model`), each beside `at:<field>`, the time of its choice (epoch
 * ms), and which expires `ttl` after the session's last request. A read and its expiry renewal go
 * out together: one round trip per request. The times are fields of their own so that an instance
 * that knows none (a ccp from before them, during a rolling upgrade) still reads the choices.
 */

import type { Chosen, SharedAffinity, SharedChoices } from "../resilience/shared_affinity.ts";
import { hexPrefix, keyedHash } from "./guard_entries.ts";
import type { RedisClock } from "./redis_clock.ts";

/** The scripts this module runs. */
export interface AffinityClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

// Reads a session's hash and renews its expiry. A hash an earlier build named by an unkeyed
// SHA-256 (KEYS[2]) is moved to the keyed name first, when that has none yet: an upgrade keeps its
// sessions' choices. No release named hashes so (0.1.0 had no shared affinity), and an old name
// expires one affinity TTL (1 h by default) after its session's last request: the move, KEYS[2]
// and the unkeyed digest in #hashNames can go before the next release, at the latest with the one
// after it (with README's sentence on it). A session still under an old name then starts afresh.
const LOAD_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;

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
  /** The times stored are on Redis's clock: instances' clocks may differ by seconds. */
  clock?: RedisClock;
}

/** Sessions remembered with their Redis names, so a session's hash is computed once. */
const MAX_NAMES = 10_000;

/** Session affinity kept in Redis under `prefix`. */
export class RedisAffinity implements SharedAffinity {
  readonly #link: AffinityLink;
  readonly #prefix: string;
  // Each session's name, and the name an earlier build gave it (only read, to move it).
  readonly #names = new Map<string, Promise<readonly [string, string]>>();
  readonly #hashName: (session: string) => Promise<string>;

  /** `secret` keys the names as it keys the keys' ids (see `keyIdSecret`). */
  constructor(link: AffinityLink, prefix: string, secret = "") {
    this.#link = link;
    this.#prefix = prefix;
    this.#hashName = keyedHash("ccp session names", secret, 16);
  }

  async load(
    session: string,
    ttlMs: number,
    keysOf: (provider: string) => readonly string[],
  ): Promise<SharedChoices | undefined> {
    if (this.#link.isDown()) return undefined;
    const keys = [...await this.#namesOf(session)];
    let fields: Record<string, string>;
    try {
      const flat = await this.#link.call((c) =>
        c.eval(LOAD_SCRIPT, { keys, arguments: [String(ttlMs)] })
      );
      fields = pairs(flat);
    } catch {
      return undefined;
    }
    const chosenKeys = new Map<string, Chosen<number>>();
    const targets = new Map<string, Chosen<string>>();
    const clock = this.#link.clock;
    for (const [field, value] of Object.entries(fields)) {
      const stored = timeOf(fields[`at:${field}`]);
      const at = stored < 0 || !clock ? stored : clock.fromRedis(stored);
      if (field.startsWith("target:")) targets.set(field.slice("target:".length), { value, at });
      else if (field.startsWith("key:")) {
        const provider = field.slice("key:".length);
        const index = (await this.#link.ids(provider, keysOf(provider))).indexOf(value);
        if (index >= 0) chosenKeys.set(provider, { value: index, at });
      }
    }
    return chosenKeys.size + targets.size > 0 ? { keys: chosenKeys, targets } : undefined;
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
    const onRedis = this.#link.clock?.toRedis(at) ?? at;
    const args = [field, String(Math.floor(onRedis)), value, String(ttlMs)];
    void this.#namesOf(session)
      .then(([name]) =>
        this.#link.call((c) => c.eval(KEEP_SCRIPT, { keys: [name], arguments: args }))
      )
      // A lost write costs only a move on another instance; the monitor reports Redis away.
      .catch(() => {});
  }

  #namesOf(session: string): Promise<readonly [string, string]> {
    let names = this.#names.get(session);
    if (!names) {
      names = this.#hashNames(session);
      if (this.#names.size >= MAX_NAMES) this.#names.delete(this.#names.keys().next().value!);
      this.#names.set(session, names);
    }
    return names;
  }

  async #hashNames(session: string): Promise<readonly [string, string]> {
    const [keyed, legacy] = await Promise.all([
      this.#hashName(session),
      crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ccp session\n${session}`)),
    ]);
    return [`${this.#prefix}affinity:${keyed}`, `${this.#prefix}affinity:${hexPrefix(legacy, 16)}`];
  }
}

/** HGETALL's flat reply as a record (an unexpected reply reads as no fields). */
function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** The time a choice was made; one stored without a time is older than any. */
function timeOf(stored: string | undefined): number {
  const at = stored === undefined ? NaN : Number(stored);
  return Number.isFinite(at) ? at : -1;
}
