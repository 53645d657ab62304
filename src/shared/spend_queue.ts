/**
 * Budget spend on its way to shared counters, sent exactly once however often Redis goes away:
 * spend waits here summed per counter, goes in batches numbered by this instance (one batch per
 * counter at a time, in increasing order), and a batch stays until Redis confirms it, so one whose
 * answer was lost is sent again under the same number, which Redis then skips (see
 * {@link SPEND_SCRIPT}).
 */

import type { Logger } from "../core/log.ts";
import { withTimeout } from "./redis_connection.ts";

// Adds one batch of an instance's spend to a budget counter, once: KEYS[2] keeps, per instance,
// the number of the last batch it applied, so a batch sent again (its first sending may have
// arrived after ccp stopped waiting) is not counted twice.
/** The server-side script: KEYS counter, applied; ARGV instance, batch number, units, expiry. */
export const SPEND_SCRIPT = `
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > last then
  redis.call('INCRBY', KEYS[1], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
return 1
`;

/**
 * Counters whose spend waits to be sent at most (each holds one sum, however many requests added
 * to it): budgets times periods, so a few in practice; spend on a counter past this many is
 * counted by this instance only.
 */
export const MAX_PENDING_COUNTERS = 1000;

/**
 * How long a stop tries to hand waiting spend over to Redis: long enough for a Redis that is back
 * (but not yet pinged) to take it, short enough that a Redis still away does not hold the stop up.
 */
const HANDOVER_MS = 2000;
/** Counters a stop names in its log line at most (the rest are counted). */
const NAMED_COUNTERS = 10;

/** One batch as sent to Redis. */
export interface SpendBatch {
  readonly key: string;
  readonly seq: number;
  readonly units: number;
  /** Epoch ms the counter expires at. */
  readonly expiry: number;
}

/** Spend on one counter not yet confirmed. */
interface Pending {
  /** Spend added since the batch on its way (or waiting to go) was formed. */
  more: number;
  /** The batch sent (again, until Redis confirms it). */
  batch?: SpendBatch;
  sending: boolean;
  expiry: number;
}

/** Spend per counter until Redis confirms it. */
export class SpendQueue {
  readonly #send: (batch: SpendBatch) => Promise<unknown>;
  readonly #log: Logger;
  readonly #name: string;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  #dropped = false;

  /** `send` runs {@link SPEND_SCRIPT} for a batch; `name` names the store in messages. */
  constructor(send: (batch: SpendBatch) => Promise<unknown>, log: Logger, name: string) {
    this.#send = send;
    this.#log = log;
    this.#name = name;
  }

  /** Adds spend to a counter; sends it now unless `hold` (Redis is known to be away). */
  add(key: string, units: number, expiry: number, hold: boolean): void {
    if (units <= 0) return;
    let pending = this.#pending.get(key);
    if (!pending) {
      if (this.#pending.size >= MAX_PENDING_COUNTERS) {
        if (!this.#dropped) {
          this.#log.warn(
            `${this.#name}: budget spend on more than ${MAX_PENDING_COUNTERS} counters waits ` +
              "for Redis; spend on others is counted by this instance only",
          );
        }
        this.#dropped = true;
        return;
      }
      pending = { more: 0, sending: false, expiry };
      this.#pending.set(key, pending);
    }
    pending.more += units;
    pending.expiry = Math.max(pending.expiry, expiry);
    if (!hold) this.#flush(key, pending);
  }

  /** Sends every counter's waiting spend (Redis answers again). */
  flush(): void {
    for (const [key, pending] of this.#pending) this.#flush(key, pending);
  }

  /** Counters with spend Redis has not confirmed yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Each counter's spend Redis has not confirmed yet (sent or not), in units. */
  #waiting(): Array<[key: string, units: number]> {
    return [...this.#pending].map(([key, p]) => [key, (p.batch?.units ?? 0) + p.more]);
  }

  /**
   * Before a stop: pings (a ping that answers sends what waits) until Redis has confirmed every
   * counter's spend, for at most {@link HANDOVER_MS}; what Redis did not take is named in the log,
   * since the other instances will never count it.
   */
  async handOver(ping: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + HANDOVER_MS;
    while (this.size > 0 && Date.now() < deadline) {
      // A ping that fails gives up within its own timeout.
      await withTimeout(ping(), Math.max(1, deadline - Date.now())).catch(() => false);
      if (this.size > 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
    const left = this.#waiting();
    if (left.length === 0) return;
    const named = left.slice(0, NAMED_COUNTERS).map(([key, units]) => `${key} +${units}`);
    const more = left.length > NAMED_COUNTERS ? `, and ${left.length - NAMED_COUNTERS} more` : "";
    this.#log.warn(
      `${this.#name}: stopping without handing over budget spend on ${left.length} ` +
        `budget counter${left.length === 1 ? "" : "s"} (other instances will not count it; ` +
        `this instance's usage ledger has it): ${named.join(", ")}${more}`,
    );
  }

  // Sends the batch Redis has not confirmed, else a new one of what was added since.
  #flush(key: string, pending: Pending): void {
    if (pending.sending) return;
    if (!pending.batch) {
      if (pending.more === 0) {
        this.#pending.delete(key);
        return;
      }
      pending.batch = { key, seq: ++this.#seq, units: pending.more, expiry: pending.expiry };
      pending.more = 0;
    }
    pending.sending = true;
    void this.#send(pending.batch).then(
      () => {
        pending.sending = false;
        pending.batch = undefined;
        this.#dropped = false;
        // What was added meanwhile goes next (or the entry goes).
        this.#flush(key, pending);
      },
      (err) => {
        pending.sending = false;
        this.#log.debug(`${this.#name}: a budget write waits for Redis: ${err}`);
      },
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
