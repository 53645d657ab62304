/**
 * Session affinity: which key of each provider, and which target of each spread route, a client
 * session used last, so its next request goes there too. Upstream prompt caches live per account
 * (per key) and per provider, and a session that changes provider mid-way mixes thinking
 * signatures and tool ids one upstream cannot read from another: keeping a session in place while
 * its choice stays healthy saves both the cost and the errors.
 *
 * Bounded: an entry ends `ttl` after its session's last request, and past {@link MAX_SESSIONS}
 * the least recently used go. Only the session id (the client's opaque handle) is kept, never
 * prompt text or a key, and it is never logged.
 */

import { setNewest } from "../core/bounded_map.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Chosen, SharedChoices } from "./shared_affinity.ts";

/** Sessions remembered at once; past this the least recently used are forgotten. */
const MAX_SESSIONS = 10_000;
/** Providers (keys) and routes (targets) one session remembers; the config bounds them anyway. */
const MAX_CHOICES = 64;

/** What one session is bound to, as the key choice and the route spread read and write it. */
export interface SessionChoices {
  /** The index of the key the session used last on `provider`. */
  keyOf(provider: string): number | undefined;
  keepKey(provider: string, index: number): void;
  /** The `provider/model` that served the session last on `route`. */
  targetOf(route: string): string | undefined;
  keepTarget(route: string, target: string): void;
}

/** A session's choices as this instance holds them, each with the time it was made. */
export interface HeldChoices extends SessionChoices {
  /** Keeps `index` as the session's key on `provider`; the time of the choice (epoch ms). */
  keepKey(provider: string, index: number): number;
  /** Keeps `target` as the session's target on `route`; the time of the choice (epoch ms). */
  keepTarget(route: string, target: string): number;
  /**
   * Takes in the choices another instance made, each only where it is newer than this one's: a
   * read that left before a choice made here (or came back after it) must not undo it.
   */
  adopt(shared: SharedChoices): void;
}

interface Entry {
  expires: number;
  readonly keys: Map<string, Chosen<number>>;
  readonly targets: Map<string, Chosen<string>>;
}

/** The sessions' choices, each kept for a time after its last use. */
export class SessionAffinity {
  readonly #clock: Clock;
  readonly #max: number;
  // Map order is recency: every use moves a session to the end, so the expired are in front.
  readonly #sessions = new Map<string, Entry>();

  constructor(options: { clock?: Clock; maxSessions?: number } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#max = options.maxSessions ?? MAX_SESSIONS;
  }

  /** Sessions held (for tests and bounds). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The choices of `session`, kept `ttlMs` past now (a session seen after that starts afresh). */
  session(session: string, ttlMs: number): HeldChoices {
    const now = this.#clock.now();
    this.#dropExpired(now);
    let entry = this.#sessions.get(session);
    if (!entry || entry.expires <= now) {
      entry = { expires: 0, keys: new Map(), targets: new Map() };
    }
    entry.expires = now + ttlMs;
    setNewest(this.#sessions, session, entry, this.#max);
    const held = entry;
    const clock = this.#clock;
    return {
      keyOf: (provider) => held.keys.get(provider)?.value,
      keepKey: (provider, index) => keep(held.keys, provider, index, clock.now()),
      targetOf: (route) => held.targets.get(route)?.value,
      keepTarget: (route, target) => keep(held.targets, route, target, clock.now()),
      adopt: (shared) => {
        for (const [provider, chosen] of shared.keys) adoptNewer(held.keys, provider, chosen);
        for (const [route, chosen] of shared.targets) adoptNewer(held.targets, route, chosen);
      },
    };
  }

  /**
   * The choices `session` holds now, to read only: a side request (a token count) goes where the
   * session goes without moving it, extending its time or creating it.
   */
  peek(session: string): SessionChoices | undefined {
    const entry = this.#sessions.get(session);
    if (!entry || entry.expires <= this.#clock.now()) return undefined;
    return {
      keyOf: (provider) => entry.keys.get(provider)?.value,
      keepKey: () => {},
      targetOf: (route) => entry.targets.get(route)?.value,
      keepTarget: () => {},
    };
  }

  // Entries in front are the least recently used; with one ttl for all, the first to expire.
  // A ttl changed by a reload may leave a later one expired behind a live one: it is found when
  // its session comes back, or goes as the oldest once the map is full.
  #dropExpired(now: number): void {
    for (const [id, entry] of this.#sessions) {
      if (entry.expires > now) break;
      this.#sessions.delete(id);
    }
  }
}

// A choice kept again as it is keeps the time it was first made.
function keep<T>(map: Map<string, Chosen<T>>, name: string, value: T, now: number): number {
  const held = map.get(name);
  if (held?.value === value) return held.at;
  setNewest(map, name, { value, at: now }, MAX_CHOICES);
  return now;
}

function adoptNewer<T>(map: Map<string, Chosen<T>>, name: string, chosen: Chosen<T>): void {
  const held = map.get(name);
  if (!held || held.at < chosen.at) setNewest(map, name, chosen, MAX_CHOICES);
}
