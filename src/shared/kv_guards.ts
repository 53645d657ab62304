/**
 * Guard state kept across restarts for one instance without Redis: what ccp learned (keys cooling
 * down or set aside, open circuits) and the places taken in each provider's rate window are kept
 * in Deno KV in the data dir, and taken in again at start (or by a provider's first request). A
 * free tier's window and a revoked key are not rediscovered by every restart.
 *
 * Learned entries are written when learned (they are rare); rate windows every few seconds and
 * at shutdown. Entries name a key by its index; a digest of the list tells whether the keys are
 * still the same ones, and an id of each key where a key kept in a changed list now stands (a
 * removed key's entries are not taken in, whatever key took its place). Both are HMACs keyed by
 * the client tokens, as Redis names keys, so that whoever reads the file (a backup of the data
 * dir) cannot confirm a key they guess without a token.
 */

import { joinPath } from "../config/paths.ts";
import type { Config, ProviderConfig } from "../config/types.ts";
import { setNewest } from "../core/bounded_map.ts";
import { type Cancel, deadline } from "../core/deadlines.ts";
import type { Logger } from "../core/log.ts";
import type { SharedGuards, SharedSyncInput, SharedSyncResult } from "../resilience/shared_sync.ts";
import { CircuitBreaker } from "../resilience/circuit_breaker.ts";
import type { Limiter } from "../resilience/limiter.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import {
  adoptEntry,
  circuitEntry,
  circuitField,
  clearedFields,
  coolingEntry,
  entryEnd,
  type GuardEntry,
  hexPrefix,
  isKeyEntry,
  keyedHash,
  keyIdSecret,
  movedField,
  poolEntries,
  setAsideEntry,
} from "./guard_entries.ts";
import { messageOf } from "../core/errors.ts";
import { makePrivateDir, openPrivateKv } from "../usage/private_kv.ts";
import { keyPlaces } from "./key_places.ts";

/** The file's name inside the data dir. */
const GUARDS_FILE = "guards.kv";

/** How often rate windows are written. */
const SAVE_WINDOWS_MS = 5000;

const GO: SharedSyncResult = { waitMs: 0 };

/**
 * Entries kept per provider. Cool-downs and circuits are per model, which clients name: ended
 * ones go at each write, but a flood of new names within a cool-down's half hour would grow the
 * mirror, and the value written with each, without end. Past this many, ended entries go first,
 * then the oldest (a Deno KV value holds at most 64 KiB anyway).
 */
export const MAX_ENTRIES_PER_PROVIDER = 256;

/** Marks a keyed digest; one without it is an unkeyed SHA-256, as earlier builds wrote. */
const KEYED = "hmac:";

/** What is kept per provider. */
interface Saved {
  /** A digest of the provider's keys: what was learned about other keys is not adopted. */
  readonly keys: string;
  /** An id of each key, in the list's order (absent in a record of an earlier build). */
  readonly ids?: readonly string[];
  readonly entries: Record<string, string>;
  readonly grants: readonly number[];
}

/** A provider this run has seen, and what is kept for it. */
interface Provider {
  readonly keys: string;
  readonly ids: readonly string[];
  readonly limiter: Limiter;
  readonly entries: Map<string, string>;
  /** Circuits restored for models not asked for yet. */
  readonly pendingCircuits: Map<string, string>;
  /** The newest grant written, to skip writing a window that did not move. */
  savedGrant: number;
}

/** Guard state of one instance, kept in Deno KV across restarts. */
export class KvGuards implements SharedGuards {
  readonly description: string;
  readonly #path: string;
  readonly #kv: Deno.Kv;
  readonly #log: Logger;
  readonly #restored: Map<string, Saved>;
  readonly #providers = new Map<string, Provider>();
  readonly #digests = new WeakMap<readonly string[], Promise<string>>();
  readonly #hash: (text: string) => Promise<string>;
  readonly #keyId: (key: string) => Promise<string>;
  // A save of the rate windows due soon, armed by a request: an idle ccp wakes for nothing.
  #saveSoon: Cancel | undefined;
  // Writes one after another, so an older state never lands after a newer one.
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    path: string,
    kv: Deno.Kv,
    restored: Map<string, Saved>,
    log: Logger,
    secret: string,
  ) {
    this.description = `Deno KV at ${path}`;
    this.#path = path;
    this.#kv = kv;
    this.#restored = restored;
    this.#log = log;
    this.#hash = keyedHash("ccp guards.kv keys", secret, 12);
    this.#keyId = keyedHash("ccp guards.kv key ids", secret, 6);
  }

  /**
   * Opens (or creates) the store at `path` and reads what an earlier run kept. `secret` keys the
   * digests of providers' keys (see `keyIdSecret`): a restart with another one takes back no
   * state learned about keys, as a restart with other keys does not.
   */
  static async open(path: string, log: Logger, secret = ""): Promise<KvGuards> {
    const kv = await openPrivateKv(path);
    const restored = new Map<string, Saved>();
    try {
      for await (const item of kv.list<Saved>({ prefix: ["guards"] })) {
        const provider = item.key[1];
        if (typeof provider === "string" && isSaved(item.value)) restored.set(provider, item.value);
      }
    } catch (err) {
      kv.close();
      throw err;
    }
    return new KvGuards(path, kv, restored, log, secret);
  }

  async sync(input: SharedSyncInput): Promise<SharedSyncResult> {
    let provider = this.#providers.get(input.provider);
    if (!provider || provider.limiter !== input.limiter) {
      provider = await this.#start(input);
    }
    this.#saveSoon ??= deadline(SAVE_WINDOWS_MS, () => {
      this.#saveSoon = undefined;
      void this.#saveWindows();
    });
    const circuit = provider.pendingCircuits.get(input.model);
    if (circuit !== undefined) {
      provider.pendingCircuits.delete(input.model);
      adoptEntry(circuitField(input.model), circuit, input);
    }
    return GO;
  }

  // The first request to a provider in this run (or after a reload rebuilt its guards).
  async #start(input: SharedSyncInput): Promise<Provider> {
    // A record an earlier build wrote holds an unkeyed digest: that one is made too, to compare.
    const peek = this.#restored.get(input.provider);
    const [keys, ids, legacyKeys] = await Promise.all([
      this.#digest(input.apiKeys),
      Promise.all((input.apiKeys.length > 0 ? input.apiKeys : [""]).map(this.#keyId)),
      peek && !isKeyed(peek) ? legacyDigest(input.apiKeys) : undefined,
    ]);
    // From here on nothing waits: two first requests at once take a record in once.
    const now = Date.now();
    const previous = this.#providers.get(input.provider);
    const restored = this.#restored.get(input.provider);
    this.#restored.delete(input.provider);
    const provider: Provider = {
      keys,
      ids,
      limiter: input.limiter,
      // A reload that changed the keys: the pool's rests of the keys it kept, at their new places.
      entries: new Map(
        previous === undefined
          ? []
          : previous.keys === keys
          ? previous.entries
          : poolEntries(input.keys),
      ),
      pendingCircuits: new Map(),
      savedGrant: 0,
    };
    this.#providers.set(input.provider, provider);
    const legacy = restored !== undefined && !isKeyed(restored);
    // A list changed since keeps what was learned of the keys it still has, and the window.
    const same = restored !== undefined && restored.keys === (legacy ? legacyKeys : keys);
    const place = same ? (index: number) => index : keyPlaces(restored?.ids, ids);
    if (restored && place) {
      for (const [field, value] of Object.entries(restored.entries)) {
        const moved = entryEnd(value) > now ? movedField(field, place) : undefined;
        if (moved === undefined) continue;
        provider.entries.set(moved, value);
        if (isKeyEntry(moved)) adoptEntry(moved, value, input);
        else provider.pendingCircuits.set(moved.slice(2), value);
      }
      input.limiter.adoptGrants(restored.grants);
    }
    // Written over at once, keyed: the file keeps no unkeyed digest. After a reload or a restart
    // that changed the keys, at once too: the file still has the old list's entries.
    if (legacy || (restored && !same && place) || (previous && previous.keys !== keys)) {
      void this.#save(input.provider, provider);
    }
    return provider;
  }

  /**
   * Takes back what an earlier run kept for the configured providers now, so that `/health` and
   * the status page show it before their first request, and logs how many providers it was for
   * (a provider the config no longer has, whose keys changed, or whose state has ended, takes
   * nothing back).
   */
  async restore(registry: ResilienceRegistry, providers: readonly ProviderConfig[]): Promise<void> {
    let count = 0;
    for (const config of providers) {
      const saved = this.#restored.get(config.id);
      if (!saved) continue;
      const { keys, limiter } = registry.provider(config);
      const provider = await this.#start({
        provider: config.id,
        model: "",
        apiKeys: config.apiKeys,
        keys,
        limiter,
        // Only key entries are taken in here; each circuit goes to its own model's breaker below.
        breaker: new CircuitBreaker(),
      });
      for (const [model, value] of provider.pendingCircuits) {
        adoptEntry(circuitField(model), value, {
          model,
          keys,
          breaker: registry.breaker(config.id, model),
        });
      }
      provider.pendingCircuits.clear();
      // Entries that have all ended since (a restart hours later) took nothing back either.
      if (provider.entries.size > 0 || limiter.windowGrants().length > 0) count++;
    }
    // An earlier build's record of a provider the config no longer has cannot be written over
    // with a keyed digest (that needs its keys): it leaves the file, and this run still holds it.
    for (const [name, saved] of this.#restored) {
      if (isKeyed(saved)) continue;
      this.#writing = this.#writing.then(() => this.#kv.delete(["guards", name]).catch(() => {}));
    }
    if (count > 0) {
      this.#log.info(`Guard state of ${count} provider(s) taken back from ${this.#path}`);
    }
  }

  release(): void {}

  cooling(
    provider: string,
    index: number,
    model: string,
    until: number,
    hinted: boolean,
    reason?: string,
  ): void {
    this.#learn(provider, coolingEntry(index, model, until, hinted, reason));
  }

  setAside(
    provider: string,
    index: number,
    until: number,
    status: number,
    reason: string,
    model?: string,
  ): void {
    this.#learn(provider, setAsideEntry(index, until, status, reason, model));
  }

  circuit(provider: string, model: string, until: number, lastError?: string): void {
    if (until > 0) return this.#learn(provider, circuitEntry(model, until, lastError));
    this.#forget(provider, [circuitField(model)]);
  }

  cleared(provider: string, index: number, model?: string, limits?: boolean): void {
    this.#forget(provider, clearedFields(index, model, limits));
  }

  #learn(provider: string, [field, value]: GuardEntry): void {
    const state = this.#providers.get(provider);
    if (!state) return;
    if (state.entries.size >= MAX_ENTRIES_PER_PROVIDER && !state.entries.has(field)) {
      const now = Date.now();
      for (const [old, kept] of state.entries) {
        if (!(entryEnd(kept) > now)) state.entries.delete(old);
      }
    }
    setNewest(state.entries, field, value, MAX_ENTRIES_PER_PROVIDER);
    void this.#save(provider, state);
  }

  #forget(provider: string, fields: readonly string[]): void {
    const state = this.#providers.get(provider);
    if (!state) return;
    // Nothing to write when none of them is kept (one that ended was dropped at the last write).
    let changed = false;
    for (const field of fields) changed = state.entries.delete(field) || changed;
    if (changed) void this.#save(provider, state);
  }

  #save(name: string, provider: Provider): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write(name, provider));
    return this.#writing;
  }

  async #write(name: string, provider: Provider): Promise<void> {
    const now = Date.now();
    const entries: Record<string, string> = {};
    for (const [field, value] of provider.entries) {
      if (entryEnd(value) > now) entries[field] = value;
      else provider.entries.delete(field);
    }
    const grants = provider.limiter.windowGrants();
    provider.savedGrant = grants.at(-1) ?? 0;
    const saved: Saved = { keys: provider.keys, ids: provider.ids, entries, grants };
    try {
      if (provider.entries.size === 0 && grants.length === 0) {
        await this.#kv.delete(["guards", name]);
      } else await this.#kv.set(["guards", name], saved);
    } catch (err) {
      this.#log.debug(`${this.description}: saving guard state failed: ${err}`);
    }
  }

  async #saveWindows(): Promise<void> {
    for (const [name, provider] of this.#providers) {
      const grants = provider.limiter.windowGrants();
      if ((grants.at(-1) ?? 0) !== provider.savedGrant) await this.#save(name, provider);
    }
  }

  #digest(keys: readonly string[]): Promise<string> {
    let digest = this.#digests.get(keys);
    if (!digest) {
      digest = this.#hash(keys.join("\n")).then((hex) => KEYED + hex);
      this.#digests.set(keys, digest);
    }
    return digest;
  }

  /** Entries kept for every provider together (for tests and bounds). */
  get held(): number {
    return [...this.#providers.values()].reduce((n, provider) => n + provider.entries.size, 0);
  }

  /** Writes the rate windows one last time and closes the store. */
  async close(): Promise<void> {
    this.#saveSoon?.();
    this.#saveSoon = undefined;
    await this.#saveWindows();
    await this.#writing;
    this.#kv.close();
  }
}

/**
 * The digest earlier builds kept: an unkeyed SHA-256 of the keys, read only to take state back.
 * This migration (here, in #start and at the end of restore) rewrites or removes every such record
 * at the first start of this build, and no release wrote one (0.1.0 had no guards.kv): it can go
 * (with README's sentence on it) before the next release, at the latest with the one after it. An
 * unkeyed record then reads as made for other keys and takes nothing back, which loses only state
 * that ends by itself (a set-aside in 30 minutes, a cool-down a server stated in at most 31 days).
 */
async function legacyDigest(keys: readonly string[]): Promise<string> {
  const text = new TextEncoder().encode(keys.join("\n"));
  return hexPrefix(await crypto.subtle.digest("SHA-256", text), 12);
}

function isKeyed(saved: Saved): boolean {
  return saved.keys.startsWith(KEYED);
}

function isSaved(value: unknown): value is Saved {
  const v = value as Saved | null;
  return typeof v === "object" && v !== null && typeof v.keys === "string" &&
    typeof v.entries === "object" && v.entries !== null && Array.isArray(v.grants) &&
    (v.ids === undefined || Array.isArray(v.ids));
}

/**
 * Opens the guard store in the data dir; without a data dir, or when it cannot be opened (one
 * warning), ccp runs with guard state in memory only.
 */
export async function openKvGuards(config: Config, log: Logger): Promise<KvGuards | undefined> {
  const dir = config.server.dataDir;
  if (dir === undefined) return undefined;
  const path = joinPath(dir, GUARDS_FILE);
  try {
    await makePrivateDir(dir);
    return await KvGuards.open(path, log, keyIdSecret(config.server));
  } catch (err) {
    log.warn(
      `Guard state is kept in memory only: cannot open ${path}: ${messageOf(err)}`,
    );
    return undefined;
  }
}
