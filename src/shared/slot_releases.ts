/**
 * Giving back shared concurrency slots: a release lost on a dropped connection is tried again
 * when Redis answers again, so the slot is not held by nobody until its lease ends.
 */

import type { RedisConnection } from "./redis_connection.ts";

/** Failed releases remembered for a retry at most (the rest end with their lease). */
const MAX_UNRELEASED = 10_000;

/** Slot releases, with the failed ones kept for {@link retry}. */
export class SlotReleases {
  readonly #connection: RedisConnection;
  // Slots whose release failed (slot -> its sorted set).
  readonly #unreleased = new Map<string, string>();

  constructor(connection: RedisConnection) {
    this.#connection = connection;
  }

  /** Removes `slot` from the sorted set `key`, or keeps it for a retry when Redis does not answer. */
  release(key: string, slot: string): void {
    void this.#connection.call((client) => client.zRem(key, slot)).catch(() => {
      if (this.#unreleased.size < MAX_UNRELEASED) this.#unreleased.set(slot, key);
    });
  }

  /** Tries every failed release again (Redis answers again). */
  retry(): void {
    for (const [slot, key] of this.#unreleased) {
      this.#unreleased.delete(slot);
      this.release(key, slot);
    }
  }
}
