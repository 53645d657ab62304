/**
 * Guard state shared between ccp instances through Redis (`shared.redis`): what one instance
 * learns — a key cooling down after a 429 for a model, a key set aside after 401/403, an open
 * circuit — holds for the others' next requests, and a provider's `rate_limit` counts requests
 * across all instances in one sliding window.
 *
 * Before each attempt at a target there is exactly one round trip: a server-side script that
 * returns the provider's live guard entries and takes a place in its shared rate window. What is
 * learned is written after the fact, without waiting. When Redis does not answer, requests go on
 * with each instance's own state (the monitor reports it; `on_unavailable: closed` refuses them).
 */

import { createClient } from "redis";
import type { Logger } from "../core/log.ts";
import type { CircuitBreaker } from "../resilience/circuit_breaker.ts";
import type { KeyPool } from "../resilience/key_pool.ts";

// Entries are fields of one hash per provider, each value starting with the epoch ms it ends at:
//   c|<key index>|<model> → "<until>|<hinted 0/1>"        a key cooling after a 429
//   a|<key index>         → "<until>|<status>|<reason>"   a key set aside after 401/403
//   b|<model>             → "<until>|<last error>"        an open circuit
// The script drops ended entries and returns the rest; then, when the provider has limits, takes
// a concurrency slot (a lease that ends by itself if its holder dies) and a rate-window place,
// or says why not: -1 = every slot is taken (ask again soon), n > 0 = the window is full for n ms.
const SYNC_SCRIPT = `
local now = tonumber(ARGV[1])
local live = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local untilv = tonumber(string.match(all[i + 1], '^(%d+)'))
  if untilv == nil or untilv <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  end
end
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local maxc = tonumber(ARGV[5])
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ms)
  if redis.call('ZCARD', KEYS[3]) >= maxc then return {-1, live, ''} end
end
local limit = tonumber(ARGV[2])
if limit > 0 then
  local window = tonumber(ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ms - window)
  if redis.call('ZCARD', KEYS[2]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {math.max(1, tonumber(oldest[2]) + window - ms), live, ''}
  end
  redis.call('ZADD', KEYS[2], ms, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], window)
end
local slot = ''
if maxc > 0 then
  local lease = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[3], ms + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[3], lease)
  slot = ARGV[4]
end
return {0, live, slot}
`;

/** How long a guard hash is kept after its last write (the longest cool-down ccp sets). */
const KEEP_MS = 30 * 60_000;
/** A Redis call that takes longer than this counts as Redis being away. */
const CALL_TIMEOUT_MS = 500;

/** What one sync found: 0 = go (holding `slot` if any), -1 = slots full, n = window full for n ms. */
export interface SyncResult {
  readonly waitMs: number;
  /** The shared concurrency slot taken; give it back with {@link RedisGuards.release}. */
  readonly slot?: string;
}

/** How long a concurrency slot is held at most if its instance never gives it back. */
const SLOT_LEASE_MS = 15 * 60_000;

/** Guard state in Redis for every instance that shares `prefix`. */
export class RedisGuards {
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

  constructor(url: string, prefix: string, log: Logger) {
    this.description = `Redis at ${url.replace(/\/\/[^@/]*@/, "//***@")}`;
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
      await this.#call(() => this.#client.ping());
      this.#down = false;
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
  async sync(input: {
    readonly provider: string;
    readonly model: string;
    readonly keys: KeyPool;
    readonly breaker: CircuitBreaker;
    readonly rate?: { readonly requests: number; readonly windowMs: number };
    readonly maxConcurrency?: number;
  }): Promise<SyncResult> {
    if (this.#down) throw new Error(`${this.description} is unreachable`);
    const rate = input.rate;
    const reply = await this.#call(() =>
      this.#client.eval(SYNC_SCRIPT, {
        keys: [
          this.#key("guard", input.provider),
          this.#key("rate", input.provider),
          this.#key("slots", input.provider),
        ],
        arguments: [
          String(Date.now()),
          String(rate?.requests ?? 0),
          String(rate?.windowMs ?? 0),
          `${this.#instance}:${++this.#seq}`,
          String(input.maxConcurrency ?? 0),
          String(SLOT_LEASE_MS),
        ],
      })
    ) as [number, string[], string];
    const [waitMs, live, slot] = reply;
    for (let i = 0; i + 1 < live.length; i += 2) adopt(live[i]!, live[i + 1]!, input);
    return { waitMs: Number(waitMs), ...(slot ? { slot } : {}) };
  }

  /** Gives back a shared concurrency slot. */
  release(provider: string, slot: string): void {
    void this.#call(() => this.#client.zRem(this.#key("slots", provider), slot)).catch(() => {});
  }

  /** Tells the others a key cools down for `model` until `until`. */
  cooling(provider: string, index: number, model: string, until: number, hinted: boolean): void {
    this.#write(provider, `c|${index}|${model}`, `${Math.round(until)}|${hinted ? 1 : 0}`);
  }

  /** Tells the others a key is set aside until `until`. */
  setAside(provider: string, index: number, until: number, status: number, reason: string): void {
    this.#write(provider, `a|${index}`, `${Math.round(until)}|${status}|${reason.slice(0, 200)}`);
  }

  /** Tells the others a circuit is open until `until`, or (0) that it closed. */
  circuit(provider: string, model: string, until: number, lastError?: string): void {
    if (until <= 0) {
      void this.#call(() => this.#client.hDel(this.#key("guard", provider), `b|${model}`))
        .catch(() => {});
      return;
    }
    this.#write(provider, `b|${model}`, `${Math.round(until)}|${(lastError ?? "").slice(0, 200)}`);
  }

  #write(provider: string, field: string, value: string): void {
    const key = this.#key("guard", provider);
    void this.#call(() => this.#client.multi().hSet(key, field, value).pExpire(key, KEEP_MS).exec())
      .catch((err) => this.#log.debug(`${this.description}: a write failed: ${err}`));
  }

  #key(kind: string, provider: string): string {
    return `${this.#prefix}${kind}:${provider}`;
  }

  close(): void {
    void this.#client.close?.().catch(() => {});
  }
}

// Applies one live entry to the local guards.
function adopt(
  field: string,
  value: string,
  input: { model: string; keys: KeyPool; breaker: CircuitBreaker },
): void {
  const parts = field.split("|");
  const values = value.split("|");
  const until = Number(values[0]);
  if (parts[0] === "c") {
    const model = parts.slice(2).join("|");
    input.keys.adoptCooling(Number(parts[1]), model, until, values[1] === "1");
  } else if (parts[0] === "a") {
    input.keys.adoptSetAside(Number(parts[1]), until, Number(values[1]), values.slice(2).join("|"));
  } else if (parts[0] === "b" && parts.slice(1).join("|") === input.model) {
    input.breaker.adoptOpen(until, values.slice(1).join("|") || undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
