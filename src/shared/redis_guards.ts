/**
 * Guard state shared between ccp instances through Redis (`shared.redis`): what one instance
 * learns -- a key cooling down after a 429 for a model, a key set aside after 401/402 (after a 403,
 * for the refused model only), an open
 * circuit, budget spent -- holds for the others' next requests, and a provider's `rate_limit` and
 * `max_concurrency` count requests across all instances.
 *
 * Before each attempt at a target there is exactly one round trip: a server-side script that
 * returns the provider's live guard entries and takes a place in its shared rate window. What is
 * learned is written after the fact, without waiting. When Redis does not answer, requests go on
 * with each instance's own state (the monitor reports it; `on_unavailable: closed` refuses them).
 */

import { createClient } from "redis";
import type { Logger } from "../core/log.ts";
import { redactUrlSecrets, scrubSecrets } from "../core/secrets.ts";
import type { SharedGuards, SharedSyncInput, SharedSyncResult } from "../resilience/shared_sync.ts";
import type { SpendCounters } from "../usage/budgets.ts";
import {
  adoptEntry,
  circuitEntry,
  circuitField,
  clearedFields,
  coolingEntry,
  type GuardEntry,
  keyIds,
  setAsideEntry,
} from "./guard_entries.ts";
import { SPEND_SCRIPT, SpendQueue } from "./spend_queue.ts";
import { SYNC_SCRIPT } from "./sync_script.ts";
import { RedisAffinity } from "./redis_affinity.ts";
import { RedisClock, shiftedEntry, timeReplyMs } from "./redis_clock.ts";
import type { SharedAffinity } from "../resilience/shared_affinity.ts";

export { MAX_PENDING_COUNTERS } from "./spend_queue.ts";

/** How long a guard hash is kept after its last write (the longest cool-down ccp sets). */
const KEEP_MS = 30 * 60_000;
/** A Redis call that takes longer than this counts as Redis being away. */
const CALL_TIMEOUT_MS = 500;

/**
 * How old the last answer about a provider may be for an attempt that counts nothing (no rate
 * window, slot or budget) to use it instead of asking again: well under the 100 ms within which
 * what one instance learns must hold on the others.
 */
const FRESH_MS = 50;

const GO: SharedSyncResult = { waitMs: 0 };

/** The monitor's ping: Redis's time, from which this instance learns its clock's offset. */
const TIME_SCRIPT = "return redis.call('TIME')";

/** How long a concurrency slot is held at most if its instance never gives it back. */
const SLOT_LEASE_MS = 15 * 60_000;
/** Failed releases remembered for a retry at most (the rest end with their lease). */
const MAX_UNRELEASED = 10_000;
/**
 * How long a stop tries to hand waiting budget spend over to Redis: long enough for a Redis that
 * is back (but not yet pinged) to take it, short enough that a Redis still away does not hold the
 * stop up.
 */
const HANDOVER_MS = 2000;
/** Counters a stop names in its log line at most (the rest are counted). */
const NAMED_COUNTERS = 10;

/** Guard state and budget counters in Redis for every instance that shares `prefix`. */
export class RedisGuards implements SharedGuards, SpendCounters {
  readonly description: string;
  readonly #client: ReturnType<typeof createClient>;
  readonly #prefix: string;
  readonly #log: Logger;
  #connecting: Promise<unknown> | undefined;
  #seq = 0;
  // Set by a failed call, cleared by a ping that answers: while Redis is away, requests do not
  // each wait for a timeout before going on with local state.
  #down = false;
  readonly #instance = crypto.randomUUID().slice(0, 8);
  // Each provider's guard entries as the last sync returned them, and when.
  readonly #recent = new Map<string, { at: number; live: string[] }>();
  // Slots whose release failed (slot -> its sorted set), given back by the next ping that answers.
  readonly #unreleased = new Map<string, string>();
  // Each provider's keys as its last sync named them, with their ids: entries name a key by id,
  // so that instances listing the same keys in another order (or one more) agree on which.
  readonly #keys = new Map<
    string,
    { readonly values: readonly string[]; readonly ids: string[] }
  >();
  readonly #ids = new WeakMap<readonly string[], Promise<string[]>>();
  readonly #idSecret: string;
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
    this.#idSecret = idSecret;
    this.#clock = clock;
    this.description = `Redis at ${redactUrlSecrets(url)}`;
    this.#prefix = prefix;
    this.#log = log;
    this.#client = createClient({
      url,
      socket: {
        connectTimeout: 2000,
        // Keep trying in the background; callers never wait for a reconnect.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
      },
      disableOfflineQueue: true,
    });
    // Reported by the monitor; the client's own errors would only repeat it.
    this.#client.on("error", () => {});
    this.#spend = new SpendQueue(
      (batch) =>
        this.#call(() =>
          this.#client.eval(SPEND_SCRIPT, {
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
        call: (run) => this.#call(() => run(this.#client)),
        isDown: () => this.#down,
        ids: async (provider, keys) => (await this.#learnKeys(provider, keys)).ids,
        clock,
      },
      prefix,
      idSecret,
    );
  }

  #ready(): Promise<unknown> {
    if (this.#client.isReady) return Promise.resolve();
    this.#connecting ??= this.#client.connect().catch((err: unknown) => {
      this.#connecting = undefined;
      throw err;
    });
    return this.#connecting;
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      await withTimeout(this.#ready(), CALL_TIMEOUT_MS);
      return await withTimeout(run(), CALL_TIMEOUT_MS);
    } catch (err) {
      this.#down = true;
      throw err;
    }
  }

  /** True when Redis answers now (the monitor asks every couple of seconds). */
  async ping(): Promise<boolean> {
    try {
      const sentAt = this.#clock.now();
      const time = await this.#call(() => this.#client.eval(TIME_SCRIPT));
      this.#clock.learn(sentAt, timeReplyMs(time), this.#clock.now());
      this.#down = false;
      this.#releaseLeftovers();
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
    const keys = await this.#learnKeys(input.provider, input.apiKeys);
    const indexOf = (id: string) => {
      const index = keys.ids.indexOf(id);
      return index < 0 ? undefined : index;
    };
    if (this.#down) throw new Error(`${this.description} is unreachable`);
    const rate = input.rate;
    const budgets = input.budgets ?? [];
    // Nothing to count for this attempt: what another instance learned in the last moments is
    // read from the previous answer for the provider, which is at most FRESH_MS old.
    const recent = this.#recent.get(input.provider);
    const countsNothing = !rate && !input.maxConcurrency && budgets.length === 0;
    if (countsNothing && recent && this.#clock.now() - recent.at < FRESH_MS) {
      for (let i = 0; i + 1 < recent.live.length; i += 2) {
        adoptEntry(recent.live[i]!, recent.live[i + 1]!, input, indexOf);
      }
      return GO;
    }
    let sent: Promise<unknown> | undefined;
    const sentAt = this.#clock.now();
    const reply = await this.#call(() =>
      sent = this.#client.eval(SYNC_SCRIPT, {
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
    this.#recent.set(input.provider, { at: answeredAt, live });
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
    this.#spend.add(key, Math.round(units), Math.round(expireAt + 86_400_000), this.#down);
  }

  /** Counters with spend Redis has not confirmed yet (for tests and bounds). */
  get pendingSpend(): number {
    return this.#spend.size;
  }

  /** Reads budget counters (0 for one nobody added to yet); throws when Redis does not answer. */
  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const values = await this.#call(() => this.#client.mGet(keys.map((k) => this.#prefix + k)));
    return values.map((v: string | null) => Number(v ?? 0));
  }

  /** Gives back a shared concurrency slot. */
  release(provider: string, slot: string): void {
    const key = this.#key("slots", provider);
    void this.#call(() => this.#client.zRem(key, slot)).catch(() => {
      // Lost on a dropped connection: given back when Redis answers again, not at lease end.
      if (this.#unreleased.size < MAX_UNRELEASED) this.#unreleased.set(slot, key);
    });
  }

  #releaseLeftovers(): void {
    for (const [slot, key] of this.#unreleased) {
      this.#unreleased.delete(slot);
      void this.#call(() => this.#client.zRem(key, slot)).catch(() => {
        if (this.#unreleased.size < MAX_UNRELEASED) this.#unreleased.set(slot, key);
      });
    }
  }

  /** The provider's keys with their ids (the pool holds one key, "", when none is configured). */
  async #learnKeys(provider: string, apiKeys: readonly string[]) {
    const known = this.#keys.get(provider);
    if (known?.values === apiKeys) return known;
    let ids = this.#ids.get(apiKeys);
    if (!ids) {
      ids = keyIds(apiKeys.length > 0 ? apiKeys : [""], this.#idSecret);
      this.#ids.set(apiKeys, ids);
    }
    const learned = { values: apiKeys, ids: await ids };
    this.#keys.set(provider, learned);
    return learned;
  }

  /** The id of the key at `index`, as the provider's last sync listed its keys. */
  #idOf(provider: string, index: number): string | undefined {
    return this.#keys.get(provider)?.ids[index];
  }

  /** Tells the others a key cools down for `model` until `until`. */
  cooling(provider: string, index: number, model: string, until: number, hinted: boolean): void {
    const id = this.#idOf(provider, index);
    if (id !== undefined) this.#write(provider, coolingEntry(id, model, until, hinted));
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
    const id = this.#idOf(provider, index);
    // An upstream's refusal may quote the key it refused.
    const said = scrubSecrets(reason, this.#keys.get(provider)?.values);
    if (id !== undefined) this.#write(provider, setAsideEntry(id, until, status, said, model));
  }

  /** Tells the others a circuit is open until `until`, or (0) that it closed. */
  circuit(provider: string, model: string, until: number, lastError?: string): void {
    if (until <= 0) return this.#forget(provider, [circuitField(model)]);
    this.#write(provider, circuitEntry(model, until, lastError));
  }

  /** Tells the others a key answered again: its set-asides (and cool-downs for `model`) are over. */
  cleared(provider: string, index: number, model?: string, limits?: boolean): void {
    const id = this.#idOf(provider, index);
    if (id !== undefined) this.#forget(provider, clearedFields(id, model, limits));
  }

  #forget(provider: string, fields: string[]): void {
    // The last answer kept still has them: the next sync must ask again.
    this.#recent.delete(provider);
    void this.#call(() => this.#client.hDel(this.#key("guard", provider), fields))
      .catch(() => {});
  }

  #write(provider: string, [field, localValue]: GuardEntry): void {
    // What this instance just learned is newer than the last answer it kept.
    this.#recent.delete(provider);
    const value = shiftedEntry(localValue, this.#clock.offset); // ending on Redis's clock
    const key = this.#key("guard", provider);
    void this.#call(() => this.#client.multi().hSet(key, field, value).pExpire(key, KEEP_MS).exec())
      .catch((err) => this.#log.debug(`${this.description}: a write failed: ${err}`));
  }

  #key(kind: string, provider: string): string {
    return `${this.#prefix}${kind}:${provider}`;
  }

  /**
   * Closes the client once budget spend still waiting has been handed over to Redis, trying for
   * at most {@link HANDOVER_MS}; what Redis did not take is named in the log, since the other
   * instances will never count it.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + HANDOVER_MS;
    while (this.#spend.size > 0 && Date.now() < deadline) {
      // A ping that answers sends what waits; one that fails gives up within its own timeout.
      await withTimeout(this.ping(), Math.max(1, deadline - Date.now())).catch(() => false);
      if (this.#spend.size > 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
    const left = this.#spend.waiting();
    if (left.length > 0) {
      const named = left.slice(0, NAMED_COUNTERS).map(([key, units]) => `${key} +${units}`);
      const more = left.length > NAMED_COUNTERS ? `, and ${left.length - NAMED_COUNTERS} more` : "";
      this.#log.warn(
        `${this.description}: stopping without handing over budget spend on ${left.length} ` +
          `budget counter${left.length === 1 ? "" : "s"} (other instances will not count it; ` +
          `this instance's usage ledger has it): ${named.join(", ")}${more}`,
      );
    }
    void this.#client.close?.().catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
