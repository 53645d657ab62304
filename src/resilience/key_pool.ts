/** A provider's API keys: sticky rotation, 429 cool-downs, 401/403 set-asides, never a raw key shown. */

import { redactKey } from "../core/secrets.ts";
import { type Clock, systemClock } from "./clock.ts";

/** One key as handed to a caller: the value to send and a label safe to log. */
export interface KeyLease {
  readonly index: number;
  readonly value: string;
  /** `key 2 (…abcd)`: position plus the last 4 characters, never more. */
  readonly label: string;
}

/** Why no key can be used right now. */
export interface KeysUnavailable {
  /** `cooling` when at least one key will come back from a 429 cool-down, else `blocked`. */
  readonly reason: "cooling" | "blocked";
  readonly cooling: number;
  readonly blocked: number;
  /** Earliest moment a cooling key comes back (or a blocked one is re-tried when none cools). */
  readonly retryAt: number;
  /** Statuses that blocked keys, most recent first, without repeats. */
  readonly recentStatuses: readonly number[];
}

/** Result of {@link KeyPool.pick}. */
export type KeyPick = { ok: true; key: KeyLease } | ({ ok: false } & KeysUnavailable);

/** Per-key state for GET /health. */
export interface KeySnapshot {
  readonly label: string;
  readonly state: "ready" | "cooling" | "blocked";
  readonly until?: number;
  readonly status?: number;
  readonly reason?: string;
  readonly uses: number;
}

/** Tuning for a {@link KeyPool}; every field has a default. */
export interface KeyPoolOptions {
  /** Rotate after this many successes on the current key; 0 = stay until it fails. */
  readonly usageLimit?: number;
  readonly clock?: Clock;
  /** First 429 cool-down without a server hint; doubles per consecutive 429. */
  readonly coolBaseMs?: number;
  /** No cool-down, hinted or not, lasts longer (so a "reset in 3 days" is re-probed: providers announce resets days away that come sooner). */
  readonly coolMaxMs?: number;
  /** How long a 401/403/402 key is set aside before it is tried again. */
  readonly blockMs?: number;
}

interface Slot {
  readonly lease: KeyLease;
  state: "ready" | "cooling" | "blocked";
  until: number;
  status?: number;
  reason?: string;
  strikes: number;
  uses: number;
  /** Order in which keys were set aside, for "most recent first". */
  setAsideSeq: number;
}

const THIRTY_MINUTES = 30 * 60_000;

/** `key 2 (…abcd)` for the key at `index`, or `no key`; the only way a key is ever shown. */
export function labelOf(key: string, index: number): string {
  return key === "" ? "no key" : `key ${index + 1} (${redactKey(key)})`;
}

/** Keys of one provider, used one at a time in order; a keyless provider is a pool of one empty key. */
export class KeyPool {
  readonly #slots: Slot[];
  readonly #clock: Clock;
  readonly #usageLimit: number;
  readonly #coolBaseMs: number;
  readonly #coolMaxMs: number;
  readonly #blockMs: number;
  #current = 0;
  #sinceRotation = 0;
  #seq = 0;

  constructor(keys: readonly string[], options: KeyPoolOptions = {}) {
    const values = keys.length > 0 ? keys : [""];
    this.#slots = values.map((value, index) => ({
      lease: { index, value, label: labelOf(value, index) },
      state: "ready",
      until: 0,
      strikes: 0,
      uses: 0,
      setAsideSeq: 0,
    }));
    this.#clock = options.clock ?? systemClock;
    this.#usageLimit = options.usageLimit ?? 0;
    this.#coolBaseMs = options.coolBaseMs ?? 1000;
    this.#coolMaxMs = options.coolMaxMs ?? THIRTY_MINUTES;
    this.#blockMs = options.blockMs ?? THIRTY_MINUTES;
  }

  /** Number of keys (1 for a keyless provider). */
  get size(): number {
    return this.#slots.length;
  }

  /** The current key if usable, else the next usable one in order, else why none is. */
  pick(): KeyPick {
    this.#expire();
    for (let step = 0; step < this.#slots.length; step++) {
      const index = (this.#current + step) % this.#slots.length;
      const slot = this.#slots[index]!;
      if (slot.state !== "ready") continue;
      if (index !== this.#current) this.#moveTo(index);
      return { ok: true, key: slot.lease };
    }
    return { ok: false, ...this.#unavailable() };
  }

  /** Records a success: clears the key's 429 history and rotates once `usageLimit` is reached. */
  succeeded(key: KeyLease): void {
    const slot = this.#slots[key.index];
    if (!slot) return;
    slot.uses++;
    slot.strikes = 0;
    if (key.index !== this.#current) return;
    this.#sinceRotation++;
    if (this.#usageLimit > 0 && this.#sinceRotation >= this.#usageLimit) {
      this.#moveTo((this.#current + 1) % this.#slots.length);
    }
  }

  /** Cools a key after a 429: for the hint when given, else 1 s doubling per repeat; both capped. */
  rateLimited(key: KeyLease, retryAfterMs?: number): void {
    const slot = this.#slots[key.index];
    if (!slot) return;
    const grown = this.#coolBaseMs * 2 ** slot.strikes;
    const wait = Math.min(retryAfterMs ?? grown, this.#coolMaxMs);
    slot.strikes++;
    this.#setAside(slot, "cooling", wait, 429, "rate limited (429)");
  }

  /** Sets a key aside after 401/402/403 with the status and a short reason (never the key). */
  rejected(key: KeyLease, status: number, reason: string): void {
    const slot = this.#slots[key.index];
    if (!slot) return;
    this.#setAside(slot, "blocked", this.#blockMs, status, reason);
  }

  /** Per-key state for GET /health. */
  snapshot(): KeySnapshot[] {
    this.#expire();
    return this.#slots.map((s) => ({
      label: s.lease.label,
      state: s.state,
      uses: s.uses,
      ...(s.state === "ready" ? {} : { until: s.until, status: s.status, reason: s.reason }),
    }));
  }

  #setAside(slot: Slot, state: "cooling" | "blocked", ms: number, status: number, reason: string) {
    const now = this.#clock.now();
    slot.state = state;
    slot.until = now + Math.max(0, ms);
    slot.status = status;
    slot.reason = reason;
    slot.setAsideSeq = ++this.#seq;
    if (slot.lease.index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
  }

  #moveTo(index: number): void {
    this.#current = index;
    this.#sinceRotation = 0;
  }

  // Expiry is checked lazily on read, so no timers run per key.
  #expire(): void {
    const now = this.#clock.now();
    for (const slot of this.#slots) {
      if (slot.state !== "ready" && slot.until <= now) {
        slot.state = "ready";
        slot.status = undefined;
        slot.reason = undefined;
      }
    }
  }

  #unavailable(): KeysUnavailable {
    const cooling = this.#slots.filter((s) => s.state === "cooling");
    const blocked = this.#slots.filter((s) => s.state === "blocked");
    const pool = cooling.length > 0 ? cooling : blocked;
    const recent = [...blocked].sort((a, b) => b.setAsideSeq - a.setAsideSeq)
      .map((s) => s.status ?? 0);
    return {
      reason: cooling.length > 0 ? "cooling" : "blocked",
      cooling: cooling.length,
      blocked: blocked.length,
      retryAt: Math.min(...pool.map((s) => s.until)),
      recentStatuses: [...new Set(recent)],
    };
  }
}
