/**
 * Guard state shared between ccp instances through Redis (`shared.redis`): what one instance
 * learns -- a key cooling down after a 429 for a model, a key set aside after 401/402 (after a 403,
 * for the refused model only), an open circuit, budget spent -- holds for the others' next
 * requests, and a provider's `rate_limit` and `max_concurrency` count requests across all
 * instances.
 *
 * Before each attempt at a target there is exactly one round trip: a server-side script that
 * returns the provider's live guard entries and takes a place in its shared rate window. What is
 * learned is written after the fact, without waiting. When Redis does not answer, requests go on
 * with each instance's own state (the monitor reports it; `on_unavailable: closed` refuses them).
 */

import type { Logger } from "../core/log.ts";
import { scrubSecrets } from "../core/secrets.ts";
import { keyListId } from "./key_list_id.ts";
import type { SharedGuards, SharedSyncInput, SharedSyncResult } from "../resilience/shared_sync.ts";
import type { SharedAffinity } from "../resilience/shared_affinity.ts";
import type { SpendCounters } from "../usage/budgets.ts";
import {
  adoptEntry,
  circuitEntry,
  circuitField,
  clearedFields,
  coolingEntry,
  entryEnd,
  type GuardEntry,
  setAsideEntry,
} from "./guard_entries.ts";
import { KeyIdBook } from "./key_id_book.ts";
import { RedisAffinity } from "./redis_affinity.ts";
import { RedisClock, shiftedEntry, timeReplyMs } from "./redis_clock.ts";
import { RedisConnection } from "./redis_connection.ts";
import { SlotReleases } from "./slot_releases.ts";
import { SPEND_SCRIPT, SpendQueue } from "./spend_queue.ts";
import { SYNC_SCRIPT } from "./sync_script.ts";

/**
 * How long a guard hash is kept after a write at least (ccp's longest cool-down that no upstream
 * stated); an entry that ends later (a rest until a day's or a plan's reset) keeps it that long.
 */
const KEEP_MS = 30 * 60_000;

// Writes one entry and makes the hash last at least ARGV[3] ms more, never less than it already
// would: a later, shorter cool-down must not cut the life of a rest of hours written before it
// (the others would forget it, and ask the key again). The clock read before the write needs
// the script replicated by its effects on a Redis before 5.
const WRITE_SCRIPT = `
redis.replicate_commands()
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local keep = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 1
`;

/**
 * How old the last answer about a provider may be for an attempt that counts nothing (no rate
 * window, slot or budget) to use it instead of asking again: well under the 100 ms within which
 * what one instance learns must hold on the others.
 */
const FRESH_MS = 50;

const GO: SharedSyncResult = { waitMs: 0 };

/** Provider names whose Redis scope is remembered. */
const MAX_SCOPES = 1000;

/** The monitor's ping: Redis's time, from which this instance learns its clock's offset. */
const TIME_SCRIPT = "return redis.call('TIME')";

/** How long a concurrency slot is held at most if its instance never gives it back. */
const SLOT_LEASE_MS = 15 * 60_000;

/** Guard state and budget counters in Redis for every instance that shares `prefix`. */
export class RedisGuards implements SharedGuards, SpendCounters {
  readonly description: string;
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #log: Logger;
  #seq = 0;
  readonly #instance = crypto.randomUUID().slice(0, 8);
  // Where each provider's state is kept in Redis, as its last sync found: its server and keys.
  readonly #scopes = new Map<string, string>();
  // Each scope's guard entries as the last sync returned them, and when.
  readonly #recent = new Map<string, { at: number; live: string[] }>();
  readonly #writes = new Set<Promise<unknown>>();
  readonly #slots: SlotReleases;
  readonly #keys: KeyIdBook;
  // Times written to and read from Redis are on its clock: instances' clocks may differ.
  readonly #clock: RedisClock;
  // Budget spend not yet confirmed: sent when added, and again by each ping that answers until
  // Redis confirms it.
  readonly #spend: SpendQueue;
  /** Session affinity shared through the same connection (`routing.session_affinity`). */
  readonly affinity: SharedAffinity;

  /**
   * `idSecret` keys the hashes that name keys and sessions in Redis (see `keyIdSecret`): instances
   * that are to share what they learn about keys and sessions must be given the same one.
   * `clock`: this instance's clock (a test's may run behind or ahead of Redis's).
   */
  constructor(url: string, prefix: string, log: Logger, idSecret = "", clock = new RedisClock()) {
    this.#redis = new RedisConnection(url);
    this.#keys = new KeyIdBook(idSecret);
    this.#slots = new SlotReleases(this.#redis);
    this.#clock = clock;
    this.description = this.#redis.description;
    this.#prefix = prefix;
    this.#log = log;
    this.#spend = new SpendQueue(
      (batch) =>
        this.#redis.call((client) =>
          client.eval(SPEND_SCRIPT, {
            keys: [this.#prefix + batch.key, `${this.#prefix}applied:${batch.key}`],
            arguments: [
              this.#instance,
              String(batch.seq),
              String(batch.units),
              String(batch.expiry),
            ],
          })
        ),
      log,
      this.description,
    );
    this.affinity = new RedisAffinity(
      {
        call: (run) => this.#redis.call(run),
        isDown: () => this.#redis.down,
        ids: async (provider, keys) => (await this.#keys.learn(provider, keys)).ids,
        clock,
      },
      prefix,
      idSecret,
    );
  }

  /** True when Redis answers now (the monitor asks every couple of seconds). */
  async ping(): Promise<boolean> {
    try {
      const sentAt = this.#clock.now();
      const time = await this.#redis.call((client) => client.eval(TIME_SCRIPT));
      this.#clock.learn(sentAt, timeReplyMs(time), this.#clock.now());
      this.#redis.answered();
      this.#slots.retry();
      this.#spend.flush();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The one round trip before an attempt: applies what other instances learned about
   * `provider`'s keys and this model's circuit to the local guards, and takes a place in the
   * provider's shared rate window when it has one. Throws when Redis does not answer.
   */
  async sync(input: SharedSyncInput): Promise<SharedSyncResult> {
    const keys = await this.#keys.learn(input.provider, input.apiKeys);
    const scope = await this.#scope(input);
    const indexOf = (id: string) => {
      const index = keys.ids.indexOf(id);
      return index < 0 ? undefined : index;
    };
    if (this.#redis.down) throw new Error(`${this.description} is unreachable`);
    const rate = input.rate;
    const budgets = input.budgets ?? [];
    // Nothing to count for this attempt: what another instance learned in the last moments is
    // read from the previous answer for the provider, which is at most FRESH_MS old.
    const recent = this.#recent.get(scope);
    const countsNothing = !rate && !input.maxConcurrency && budgets.length === 0;
    if (countsNothing && recent && this.#clock.now() - recent.at < FRESH_MS) {
      for (let i = 0; i + 1 < recent.live.length; i += 2) {
        adoptEntry(recent.live[i]!, recent.live[i + 1]!, input, indexOf);
      }
      return GO;
    }
    let sent: Promise<unknown> | undefined;
    const sentAt = this.#clock.now();
    const reply = await this.#redis.call((client) =>
      sent = client.eval(SYNC_SCRIPT, {
        keys: [
          this.#key("guard", input.provider),
          this.#key("rate", input.provider),
          this.#key("slots", input.provider),
          ...budgets.map((b) => this.#prefix + b.key),
        ],
        arguments: [
          String(rate?.requests ?? 0),
          String(rate?.windowMs ?? 0),
          `${this.#instance}:${++this.#seq}`,
          String(input.maxConcurrency ?? 0),
          String(SLOT_LEASE_MS),
          ...budgets.map((b) => String(b.limit)),
        ],
      })
    ).catch((err) => {
      // Redis may still run the script after ccp stopped waiting: a slot it takes then is given
      // back, not held by nobody until its lease ends.
      void sent?.then((late) => {
        const slot = (late as [number, string[], string] | undefined)?.[2];
        if (slot) this.release(input.provider, slot);
      }, () => {});
      throw err;
    }) as [number, string[], string, string[], number?];
    const [waitMs, redisLive, slot, spent, redisMs] = reply;
    const answeredAt = this.#clock.now();
    this.#clock.learn(sentAt, Number(redisMs), answeredAt);
    // Entries end on Redis's clock: on this instance's, they end that much sooner or later.
    const live = redisLive.map((v, i) => i % 2 ? shiftedEntry(v, -this.#clock.offset) : v);
    this.#recent.set(scope, { at: answeredAt, live });
    for (let i = 0; i + 1 < live.length; i += 2) {
      adoptEntry(live[i]!, live[i + 1]!, input, indexOf);
    }
    budgets.forEach((b, i) => b.adopt(Number(spent[i] ?? 0)));
    return { waitMs: Number(waitMs), ...(slot ? { slot } : {}) };
  }

  /**
   * Adds a finished request's spend to a budget counter every instance reads. While Redis is
   * away it waits, summed per counter, and is added once Redis answers again, exactly once.
   */
  add(key: string, units: number, expireAt: number): void {
    // Kept a day past its period, so a late reader still finds it.
    this.#spend.add(key, Math.round(units), Math.round(expireAt + 86_400_000), this.#redis.down);
  }

  /** Counters with spend Redis has not confirmed yet (for tests and bounds). */
  get pendingSpend(): number {
    return this.#spend.size;
  }

  /** Reads budget counters (0 for one nobody added to yet); throws when Redis does not answer. */
  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const values = await this.#redis.call((client) =>
      client.mGet(keys.map((k) => this.#prefix + k))
    );
    return values.map((v: string | null) => Number(v ?? 0));
  }

  /** Gives back a shared concurrency slot. */
  release(provider: string, slot: string): void {
    this.#slots.release(this.#key("slots", provider), slot);
  }

  /** Tells the others a key cools down for `model` until `until`, and what the upstream said. */
  cooling(
    provider: string,
    index: number,
    model: string,
    until: number,
    hinted: boolean,
    reason?: string,
  ): void {
    const id = this.#keys.idOf(provider, index);
    // An upstream's refusal may quote the key it refused.
    const said = scrubSecrets(reason ?? "", this.#keys.keysOf(provider));
    if (id !== undefined) this.#write(provider, coolingEntry(id, model, until, hinted, said));
  }

  /** Tells the others a key is set aside until `until` (for `model` only, when given). */
  setAside(
    provider: string,
    index: number,
    until: number,
    status: number,
    reason: string,
    model?: string,
  ): void {
    const id = this.#keys.idOf(provider, index);
    // An upstream's refusal may quote the key it refused.
    const said = scrubSecrets(reason, this.#keys.keysOf(provider));
    if (id !== undefined) this.#write(provider, setAsideEntry(id, until, status, said, model));
  }

  /** Tells the others a circuit is open until `until`, or (0) that it closed. */
  circuit(provider: string, model: string, until: number, lastError?: string): void {
    if (until <= 0) return this.#forget(provider, [circuitField(model)]);
    this.#write(provider, circuitEntry(model, until, lastError));
  }

  /** Tells the others a key answered again: its set-asides (and cool-downs for `model`) are over. */
  cleared(provider: string, index: number, model?: string, limits?: boolean): void {
    const id = this.#keys.idOf(provider, index);
    if (id !== undefined) this.#forget(provider, clearedFields(id, model, limits));
  }

  #forget(provider: string, fields: string[]): void {
    // The last answer kept still has them: the next sync must ask again.
    this.#recent.delete(this.#scopes.get(provider) ?? provider);
    this.#track(
      this.#redis.call((client) => client.hDel(this.#key("guard", provider), fields))
        .catch(() => {}),
    );
  }

  // A write still on its way when ccp stops is waited for (each call is bounded in time): a rest
  // learned a moment before a restart is what the next run must take back.
  #track(write: Promise<unknown>): void {
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  #write(provider: string, [field, localValue]: GuardEntry): void {
    // What this instance just learned is newer than the last answer it kept.
    this.#recent.delete(this.#scopes.get(provider) ?? provider);
    const value = shiftedEntry(localValue, this.#clock.offset); // ending on Redis's clock
    const key = this.#key("guard", provider);
    const keep = Math.max(KEEP_MS, Math.ceil(entryEnd(localValue) - this.#clock.now()) || 0);
    this.#track(
      this.#redis
        .call((client) =>
          client.eval(WRITE_SCRIPT, { keys: [key], arguments: [field, value, String(keep)] })
        )
        .catch((err) => this.#log.debug(`${this.description}: a write failed: ${err}`)),
    );
  }

  /**
   * Where `input`'s provider keeps its state in Redis: its server and keys, not its name.
   * Instances whose configs name one server and key differently share its circuits, rate window
   * and slots, and a name each points at another server shares nothing; a reload that renames the
   * provider finds its state where it was. The keys are told apart by a slow hash of them all
   * (key_list_id.ts), not by their last 4 characters (two accounts' keys may end alike) nor by
   * their HMAC ids (instances with other tokens still share all of it).
   * A provider without a server tag keeps its name.
   */
  async #scope(input: SharedSyncInput): Promise<string> {
    if (input.server === undefined) return input.provider;
    const scope = `${input.server}.${await keyListId(input.apiKeys)}`;
    // Names come from the configs loaded; a bound keeps a long run's many reloads from piling up.
    if (this.#scopes.size >= MAX_SCOPES) this.#scopes.delete(this.#scopes.keys().next().value!);
    this.#scopes.delete(input.provider);
    this.#scopes.set(input.provider, scope);
    return scope;
  }

  #key(kind: string, provider: string): string {
    return `${this.#prefix}${kind}:${this.#scopes.get(provider) ?? provider}`;
  }

  /**
   * Closes the connection once budget spend still waiting has been handed over to Redis (for a
   * bounded time: see {@link SpendQueue.handOver}) and the guard entries on their way are written.
   */
  async close(): Promise<void> {
    await Promise.all([this.#spend.handOver(() => this.ping()), ...this.#writes]);
    this.#redis.close();
  }
}
