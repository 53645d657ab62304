/** Lazily built resilience state per provider (keys, limiter) and per target (breaker). */

import type { ProviderConfig } from "../config/types.ts";
import { neededKeyMissing } from "../config/needed_keys.ts";
import { type BreakerOptions, type BreakerSnapshot, CircuitBreaker } from "./circuit_breaker.ts";
import { type Clock, systemClock } from "./clock.ts";
import { KeyPool, type KeySnapshot } from "./key_pool.ts";
import { Limiter, type LimiterSnapshot } from "./limiter.ts";
import { LearnedParams } from "./learned_params.ts";
import { ServerWindows } from "./server_windows.ts";
import { CredentialHolds } from "./credential_holds.ts";
import { SessionAffinity } from "./affinity.ts";
import { TargetSpread } from "./spread.ts";
import { sameUrl } from "./server_key.ts";

/** A provider's key pool and limiter. */
export interface ProviderState {
  readonly keys: KeyPool;
  readonly limiter: Limiter;
}

/** Defaults shared by every pool, limiter and breaker the registry builds. */
export interface RegistryOptions {
  readonly clock?: Clock;
  readonly breaker?: Omit<BreakerOptions, "clock">;
  /** Wait-queue bound per provider. */
  readonly maxQueue?: number;
}

/** Everything GET /health shows about resilience; times are epoch milliseconds. */
export interface ResilienceSnapshot {
  readonly providers: Record<
    string,
    {
      keys: KeySnapshot[];
      limiter: LimiterSnapshot;
      /** Present when the keys go in turn; absent for the default, fill-first. */
      key_strategy?: "round_robin";
    }
  >;
  /** Keyed `provider/model`. */
  readonly targets: Record<string, BreakerSnapshot>;
  /** Optional parameters left out per `provider/model`, learned from the upstream's 400s. */
  readonly learned_params: Record<string, string[]>;
}

interface Entry {
  readonly fingerprint: string;
  readonly endpoint: string;
  /** The keys the state was built for: the same server with the same keys is the same account. */
  readonly keys: readonly string[];
  readonly state: ProviderState;
}

/**
 * Breakers are created per model a client names; past this many, idle closed ones are dropped,
 * and when too few are idle (a client naming ever new models that each failed once), the least
 * recently used go: a target nobody asked for lately has no failures worth remembering.
 */
export const MAX_BREAKERS = 1000;

// Where a provider's requests go: what its breakers judged, and its keys' cool-downs came from.
// A base URL written with the host in capitals or the default port is the same address, and its
// keys' rests stay theirs; one with another password or `?key=` is another account (see sameUrl).
function endpointOf(p: ProviderConfig): string {
  return JSON.stringify([p.type, sameUrl(p.baseUrl), p.proxy ?? null]);
}

// The settings a pool or limiter is built from: a config reload that changes them builds them anew
// (new keys must not inherit old blocks; kept keys take their own over), one that does not keeps
// them in place.
function fingerprint(p: ProviderConfig, endpoint: string): string {
  return JSON.stringify([
    endpoint,
    p.apiKeys,
    p.keyUsageLimit,
    p.keyStrategy ?? "fill_first",
    p.rateLimit ?? null,
    p.maxConcurrency ?? null,
    neededKeyMissing(p) ?? null,
  ]);
}

// The same keys, in whatever order: keys listed in another order are the same accounts (a
// reordered list must not reset circuits, nor lose a renamed provider's rate window).
function same(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((key, i) => key === sorted[i]);
}

/** Holds one KeyPool + Limiter per provider id and one CircuitBreaker per provider+model. */
export class ResilienceRegistry {
  readonly #options: RegistryOptions;
  readonly #clock: Clock;
  readonly #providers = new Map<string, Entry>();
  // The state each loaded provider config was handed. A request keeps the config it started
  // with: one still retrying after a reload that changed its provider's keys gets the pool and
  // limiter it began on, and must not replace the reloaded config's state (each turn would start
  // both afresh, forgetting cool-downs and the slots held, so max_concurrency would be exceeded).
  // Weak: a config no request holds any more lets its state go.
  readonly #handed = new WeakMap<ProviderConfig, ProviderState>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  /**
   * Parameters upstreams refused, kept across config reloads by server: a renamed provider keeps
   * them, one pointed at another server does not take them there.
   */
  readonly learned = new LearnedParams();
  /** The windows local servers said they run models with, kept across reloads too. */
  readonly windows = new ServerWindows();
  /** What passthrough targets refused per client credential (a plan's limit), kept across reloads too. */
  readonly credentials: CredentialHolds;
  /** Which key and spread target each client session last used (`routing.session_affinity`). */
  readonly affinity: SessionAffinity;
  /** Where each weighted route's next new request goes first. */
  readonly spread = new TargetSpread();

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.credentials = new CredentialHolds({ clock: this.#clock });
    this.affinity = new SessionAffinity({ clock: this.#clock });
  }

  /** The pool and limiter for `config.id`, built on first use and rebuilt when its keys or limits change. */
  provider(config: ProviderConfig): ProviderState {
    const handed = this.#handed.get(config);
    if (handed) return handed;
    const endpoint = endpointOf(config);
    const print = fingerprint(config, endpoint);
    const found = this.#providers.get(config.id);
    if (found && found.fingerprint === print) {
      this.#handed.set(config, found.state);
      return found.state;
    }
    // A hosted provider without its key is never sent a request: its upstream would only refuse
    // it, and the client is told what to set at once (as `ccp check` says) rather than after a
    // round trip and a 401.
    const missing = neededKeyMissing(config);
    const state: ProviderState = {
      keys: new KeyPool(config.apiKeys, {
        ...(missing ? { missing } : {}),
        usageLimit: config.keyUsageLimit,
        ...(config.keyStrategy ? { strategy: config.keyStrategy } : {}),
        clock: this.#clock,
      }),
      limiter: new Limiter({
        provider: config.id,
        rateLimit: config.rateLimit,
        maxConcurrency: config.maxConcurrency,
        maxQueue: this.#options.maxQueue,
        clock: this.#clock,
      }),
    };
    if (found) this.#changed(config, found, endpoint, state);
    else this.#renamed(config, endpoint, state);
    this.#providers.set(config.id, { fingerprint: print, endpoint, keys: config.apiKeys, state });
    this.#handed.set(config, state);
    return state;
  }

  // The same name after a reload that changed its keys, limits or server. At the same address the
  // requests sent in the rate window, and those still running, were sent all the same: a new
  // limit (or new keys) counts them too, rather than allowing a fresh burst at once; and a key the
  // reload kept rests on (a day's quota spent is spent whatever else changed). Another address (a
  // wrong base URL the reload fixed) starts afresh: its window, its keys' rests and its circuits
  // owe nothing to the old one. New keys make the circuits start afresh too: the failures that
  // opened them came with the old keys (a gateway answering a wrong key with a 500), and the user
  // who saved a fix expects it tried, not refused until the old circuit's period ends.
  #changed(config: ProviderConfig, found: Entry, endpoint: string, state: ProviderState): void {
    if (found.endpoint === endpoint) {
      state.limiter.takeOver(found.state.limiter);
      state.keys.takeOver(found.state.keys);
    }
    if (found.endpoint !== endpoint || !same(found.keys, config.apiKeys)) {
      this.#forgetBreakers(config.id);
    }
  }

  // A new name (a reload that renamed the provider) at an address another name served: the rests
  // of the keys they share go on, as the server's verdict on a key is not the name's. With the
  // same keys too, it is the same server and account under another name: its rate window and
  // slots held go on (a rename must not allow a fresh burst past the configured limit), and so do
  // its circuits, model by model (a server failing under the old name fails under the new one).
  #renamed(config: ProviderConfig, endpoint: string, state: ProviderState): void {
    let account: string | undefined;
    for (const [id, other] of this.#providers) {
      if (other.endpoint !== endpoint) continue;
      state.keys.takeOver(other.state.keys);
      if (same(other.keys, config.apiKeys)) account = id;
    }
    if (account === undefined) return;
    state.limiter.takeOver(this.#providers.get(account)!.state.limiter);
    for (const [id, breaker] of [...this.#breakers]) {
      if (!id.startsWith(`${account}/`)) continue;
      const target = `${config.id}${id.slice(account.length)}`;
      if (!this.#breakers.has(target)) this.#breakers.set(target, breaker);
    }
  }

  /**
   * The providers of the config now in use (at start and after each reload): each one's state is
   * built now, so that a renamed provider takes over its old name's, and then whatever belonged
   * to a name the config no longer has is let go. A long run reloaded many times (renaming,
   * re-pointing, adding and removing providers) keeps state for the providers it has, and a name
   * given back later starts from its current server and keys, not from state it had long ago.
   * Requests still running on an older config keep the state they were handed.
   */
  follow(providers: Readonly<Record<string, ProviderConfig>>): void {
    for (const config of Object.values(providers)) this.provider(config);
    for (const id of [...this.#providers.keys()]) {
      if (providers[id] !== undefined) continue;
      this.#providers.delete(id);
      this.#forgetBreakers(id);
    }
  }

  /** The breaker for one provider+model target. */
  breaker(provider: string, model: string): CircuitBreaker {
    const id = `${provider}/${model}`;
    let breaker = this.#breakers.get(id);
    if (breaker) {
      // Map order is recency: the breaker in use moves to the end.
      this.#breakers.delete(id);
    } else {
      if (this.#breakers.size >= MAX_BREAKERS) this.#prune();
      breaker = new CircuitBreaker({ ...this.#options.breaker, clock: this.#clock });
    }
    this.#breakers.set(id, breaker);
    return breaker;
  }

  /**
   * Keys, limiter and breaker state for GET /health (never a raw key). Given the providers of the
   * config in use, it shows theirs only: after a reload, a provider removed is gone, and one whose
   * keys or limits changed shows the pool built for them (see follow), never the old keys; without
   * follow, none until its first request builds it.
   */
  snapshot(current?: Readonly<Record<string, ProviderConfig>>): ResilienceSnapshot {
    const providers: ResilienceSnapshot["providers"] = {};
    for (const [id, { fingerprint: print, state }] of this.#providers) {
      if (current && !this.#serves(current[id], state, print)) continue;
      providers[id] = {
        keys: state.keys.snapshot(),
        limiter: state.limiter.snapshot(),
        ...(state.keys.roundRobin ? { key_strategy: "round_robin" as const } : {}),
      };
    }
    const targets: ResilienceSnapshot["targets"] = {};
    for (const [id, breaker] of this.#breakers) {
      if (current && current[id.slice(0, id.indexOf("/"))] === undefined) continue;
      targets[id] = breaker.snapshot();
    }
    return { providers, targets, learned_params: this.learned.snapshot(current) };
  }

  // True when `config` (a provider as the config in use has it) is served by `state`.
  #serves(config: ProviderConfig | undefined, state: ProviderState, print: string): boolean {
    if (!config) return false;
    const handed = this.#handed.get(config);
    return handed ? handed === state : fingerprint(config, endpointOf(config)) === print;
  }

  #forgetBreakers(provider: string): void {
    for (const id of this.#breakers.keys()) {
      if (id.startsWith(`${provider}/`)) this.#breakers.delete(id);
    }
  }

  #prune(): void {
    for (const [id, breaker] of this.#breakers) {
      const s = breaker.snapshot();
      if (s.state === "closed" && s.failures === 0) this.#breakers.delete(id);
    }
    // A tenth goes at once, so the next new targets do not each walk the whole map again.
    for (const id of this.#breakers.keys()) {
      if (this.#breakers.size < MAX_BREAKERS * 0.9) break;
      this.#breakers.delete(id);
    }
  }

  /** Breakers held (for tests and bounds). */
  get breakers(): number {
    return this.#breakers.size;
  }
}
