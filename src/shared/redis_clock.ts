/**
 * The times instances write into Redis (when a cool-down, set-aside or open circuit ends, when a
 * session's choice was made) are read by instances whose clocks may differ from the writer's by
 * seconds. Each instance therefore writes and reads them on Redis's clock: it learns how far its
 * own clock is from Redis's on each round trip that asks Redis the time, and shifts what it
 * writes and reads by that much. Without it, a cool-down written by an instance a few seconds
 * behind ended early, or at once, on the others, and a session's move made there was taken for
 * older than the choice it replaced.
 */

// The last moment a JavaScript date can hold, in epoch ms.
const LAST_MOMENT_MS = 8.64e15;

/** How far this instance's clock is from Redis's, learned from Redis's answers. */
export class RedisClock {
  readonly now: () => number;
  #offset = 0;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Redis's clock minus this instance's (ms); 0 until learned, or when within the error. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Learns the offset from Redis's time (`redisMs`) in an answer to a call sent at `sentAt` and
   * answered at `answeredAt` (this instance's clock). Redis read its clock somewhere in between,
   * so a difference within half the round trip (and a millisecond of rounding) is no difference:
   * instances on one host, or with synchronised clocks, keep writing their own times unchanged.
   */
  learn(sentAt: number, redisMs: number, answeredAt: number): void {
    // A reply that is no moment (a hostile or broken server's) would shift every entry past what
    // a date or Redis's script can read: 1e+300 reads there as 1, ended at once.
    if (!(redisMs >= 0 && redisMs <= LAST_MOMENT_MS) || answeredAt < sentAt) return;
    const offset = redisMs - (sentAt + answeredAt) / 2;
    const error = (answeredAt - sentAt) / 2 + 1;
    this.#offset = Math.abs(offset) <= error ? 0 : Math.round(offset);
  }

  /** A time of this instance's clock on Redis's. */
  toRedis(ms: number): number {
    return ms + this.#offset;
  }

  /** A time of Redis's clock on this instance's. */
  fromRedis(ms: number): number {
    return ms - this.#offset;
  }
}

/** Redis's `TIME` reply ([seconds, microseconds]) in epoch ms; NaN for another reply. */
export function timeReplyMs(reply: unknown): number {
  if (!Array.isArray(reply) || reply.length < 2) return NaN;
  return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}

/**
 * A guard entry's value (it starts with the epoch ms it ends at) with that time shifted by `ms`.
 */
export function shiftedEntry(value: string, ms: number): string {
  if (ms === 0) return value;
  const bar = value.indexOf("|");
  const end = Number.parseInt(bar < 0 ? value : value.slice(0, bar), 10);
  if (!Number.isFinite(end)) return value;
  return `${end + ms}${bar < 0 ? "" : value.slice(bar)}`;
}
