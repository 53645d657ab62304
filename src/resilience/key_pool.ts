/**
 * A provider's API keys: sticky rotation, 429 cool-downs per key and upstream model, 401/403
 * set-asides per key, never a raw key shown.
 *
 * Free tiers (NVIDIA NIM, Gemini, OpenRouter's free models, ...) limit each model on its own, so a
 * 429 for one model says nothing about the key's other models: a chain of two models on one
 * provider must still reach the second. Only a 429 that says the whole key or account is spent
 * cools the key for every model.
 */

import { setNewest } from "../core/bounded_map.ts";
import type { KeyStrategy } from "../config/types.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  keyMissing,
  type KeyRest,
  type KeySnapshot,
  type KeysUnavailable,
  restsOf,
  snapshotOf,
  unavailableOf,
} from "./key_report.ts";
import {
  blockFor,
  blockModel,
  cool,
  coolingFor,
  coolingScopes,
  FIRST_COOL_MS,
  inherit,
  type KeyLease,
  MAX_COOL_MS,
  MAX_MODELS_PER_KEY,
  MAX_STATED_COOL_MS,
  newSlot,
  type Slot,
  THIRTY_MINUTES,
  unblock,
  WHOLE_KEY,
} from "./key_slot.ts";

export type { KeyRest, KeySnapshot, KeysUnavailable } from "./key_report.ts";
export { FREE_MODELS, type KeyLease, labelOf, WHOLE_KEY } from "./key_slot.ts";

/** Result of {@link KeyPool.pick}. */
export type KeyPick = { ok: true; key: KeyLease } | ({ ok: false } & KeysUnavailable);

/** A cooling key whose cool-down ends first, for a last-resort probe. */
export interface SoonestKey {
  readonly key: KeyLease;
  readonly until: number;
  /** The wait is the upstream's own `Retry-After`, not ccp's guess. */
  readonly hinted: boolean;
}

/** Tuning for a {@link KeyPool}; every field has a default. */
export interface KeyPoolOptions {
  /** Rotate after this many successes on the current key; 0 = stay until it fails. */
  readonly usageLimit?: number;
  readonly clock?: Clock;
  /** How long a 401/403/402 key is set aside before it is tried again. */
  readonly blockMs?: number;
  /** `round_robin`: each key handed out moves the next pick past it (default `fill_first`). */
  readonly strategy?: KeyStrategy;
  /** The provider needs a key and has none: what to set. No request is handed a key then. */
  readonly missing?: string;
}

/**
 * Keys of one provider, used one at a time in order (or in turn, round robin); a keyless provider
 * is a pool of one empty key.
 */
export class KeyPool {
  readonly #slots: Slot[];
  readonly #clock: Clock;
  readonly #usageLimit: number;
  readonly #blockMs: number;
  readonly #roundRobin: boolean;
  readonly #missing?: string;
  #current = 0;
  #seq = 0;

  constructor(keys: readonly string[], options: KeyPoolOptions = {}) {
    const values = keys.length > 0 ? keys : [""];
    this.#slots = values.map(newSlot);
    this.#clock = options.clock ?? systemClock;
    this.#usageLimit = options.usageLimit ?? 0;
    this.#blockMs = options.blockMs ?? THIRTY_MINUTES;
    this.#roundRobin = options.strategy === "round_robin";
    this.#missing = options.missing;
  }

  /** The most per-model cool-downs and strike counts any one key holds (for tests and bounds). */
  get held(): { cooling: number; strikes: number } {
    let cooling = 0;
    let strikes = 0;
    for (const slot of this.#slots) {
      cooling = Math.max(cooling, slot.cooling.size);
      strikes = Math.max(strikes, slot.strikes.size);
    }
    return { cooling, strikes };
  }

  /** True when keys are handed out in turn (`round_robin`). */
  get roundRobin(): boolean {
    return this.#roundRobin;
  }

  /** Number of keys (1 for a keyless provider). */
  get size(): number {
    return this.#slots.length;
  }

  /** The current key if usable for `model`, else the next usable one in order, else why none is. */
  pick(model: string = WHOLE_KEY): KeyPick {
    const now = this.#clock.now();
    if (this.#missing !== undefined) return { ok: false, ...keyMissing(this.#missing, now) };
    for (let step = 0; step < this.#slots.length; step++) {
      const index = (this.#current + step) % this.#slots.length;
      const slot = this.#slots[index]!;
      if (!this.#usable(slot, model, now)) continue;
      if (index !== this.#current) this.#moveTo(index);
      return { ok: true, key: slot.lease };
    }
    return { ok: false, ...unavailableOf(this.#slots, model, now) };
  }

  /**
   * The key at `index` when it is usable for `model` now (a session's own key), else undefined.
   * Past the pick's guards, a key other than the current one that already gave its
   * `key_usage_limit` answers is not usable until the pool's turn comes back to it: a session
   * held on it would otherwise keep it busy past the limit the rotation exists to keep.
   */
  usable(index: number, model: string = WHOLE_KEY): KeyLease | undefined {
    const slot = this.#slots[index];
    if (this.#missing !== undefined) return undefined;
    if (!slot || !this.#usable(slot, model, this.#clock.now())) return undefined;
    const spent = this.#usageLimit > 0 && index !== this.#current &&
      slot.turnUses >= this.#usageLimit;
    return spent ? undefined : slot.lease;
  }

  /**
   * Says `key` (from {@link pick}) was handed to a request: round robin moves the next pick past
   * it, so requests in flight together go to different keys; fill-first stays on it.
   */
  handedOut(key: KeyLease): void {
    if (this.#roundRobin && key.index === this.#current) {
      this.#moveTo((key.index + 1) % this.#slots.length);
    }
  }

  /**
   * Records a success for `model`: clears its 429 history and rotates once `usageLimit` is reached.
   * True when the answer ended a set-aside or a cool-down still running (shared state has it too).
   * `limits: false` for an endpoint whose limits are not Messages' (count_tokens): its answer
   * shows the key is accepted (a set-aside ends) but says nothing of Messages' 429s.
   */
  succeeded(key: KeyLease, model: string = WHOLE_KEY, limits = true): boolean {
    const slot = this.#slots[key.index];
    if (!slot) return false;
    const now = this.#clock.now();
    const ended = blockFor(slot, model, now) !== undefined ||
      (limits && coolingFor(slot, model, now) !== undefined);
    slot.uses++;
    if (limits) {
      // A key that answered (a probe past its cool-down) is limited no more, for this model and
      // for the wider limits it falls under (a free model's answer: the free models' day is not
      // spent).
      for (const name of coolingScopes(model)) {
        slot.strikes.delete(name);
        slot.cooling.delete(name);
      }
    }
    if (slot.blockedUntil > 0) unblock(slot); // a set-aside key that answered is back
    slot.blocks.delete(model);
    // Every answer counts against the key's turn, a session's on a key the pool has left too.
    slot.turnUses++;
    if (key.index !== this.#current) return ended;
    if (this.#usageLimit > 0 && slot.turnUses >= this.#usageLimit) {
      this.#moveTo((this.#current + 1) % this.#slots.length);
    }
    return ended;
  }

  /** True while `key` is set aside after 401/402/403. */
  isSetAside(key: KeyLease, model: string = WHOLE_KEY): boolean {
    const slot = this.#slots[key.index];
    return slot !== undefined && blockFor(slot, model, this.#clock.now()) !== undefined;
  }

  /** The status that set `key` aside (401, 402, 403), while it is set aside. */
  setAsideStatus(key: KeyLease, model: string = WHOLE_KEY): number | undefined {
    const slot = this.#slots[key.index];
    return slot ? blockFor(slot, model, this.#clock.now())?.status : undefined;
  }

  /**
   * Cools a key after a 429 for `model` (every model with {@link WHOLE_KEY}): for the server's
   * hint when given, else 1 s doubling per repeat; both capped, a `stated` reset (a plan's window
   * ending at a moment the upstream named) less tightly. `reason` is what the upstream said
   * (key-free), for the refusal a client gets while every key cools.
   */
  rateLimited(
    key: KeyLease,
    retryAfterMs?: number,
    model: string = WHOLE_KEY,
    reason?: string,
    stated = false,
  ): number {
    const slot = this.#slots[key.index];
    if (!slot) return 0;
    const strikes = slot.strikes.get(model) ?? 0;
    const grown = FIRST_COOL_MS * 2 ** strikes;
    const cap = stated ? MAX_STATED_COOL_MS : MAX_COOL_MS;
    const wait = Math.max(0, Math.min(retryAfterMs ?? grown, cap));
    setNewest(slot.strikes, model, strikes + 1, MAX_MODELS_PER_KEY, WHOLE_KEY);
    // A 429 that says nothing of when (a probe during an announced wait, often) does not cut
    // short a wait the upstream announced before.
    const announced = slot.cooling.get(model);
    const keep = retryAfterMs === undefined && announced?.hinted &&
      announced.until > this.#clock.now() + wait;
    cool(
      slot,
      model,
      keep ? { ...announced, strikes: strikes + 1, reason: reason ?? announced.reason } : {
        until: this.#clock.now() + wait,
        strikes: strikes + 1,
        hinted: retryAfterMs !== undefined,
        reason,
      },
      this.#clock.now(),
    );
    // Upstreams check the key before its limits: a set-aside key that answers 429 (its re-try
    // after a 401/403) was accepted, and is only cooling now, not refused.
    if (slot.blockedUntil > 0) unblock(slot);
    slot.blocks.delete(model);
    slot.setAsideSeq = ++this.#seq;
    if (key.index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
    return slot.cooling.get(model)!.until;
  }

  /**
   * Sets a key aside after 401/402/403 with the status and a short reason: a 403 for `model` only
   * (it may refuse one model: an account without access to it), a 401 or 402 (or a 429 that said
   * the credits are spent) for every model.
   */
  rejected(key: KeyLease, status: number, reason: string, model: string = WHOLE_KEY): number {
    const slot = this.#slots[key.index];
    if (!slot) return 0;
    if (status === 403 && model !== WHOLE_KEY) {
      const until = this.#clock.now() + this.#blockMs;
      slot.setAsideSeq = ++this.#seq;
      blockModel(slot, model, { until, status, reason, seq: this.#seq }, this.#clock.now());
      if (key.index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
      return until;
    }
    slot.blockedUntil = this.#clock.now() + this.#blockMs;
    slot.status = status;
    slot.reason = reason;
    slot.setAsideSeq = slot.blockedSeq = ++this.#seq;
    if (key.index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
    return slot.blockedUntil;
  }

  /**
   * A cool-down another instance learned (a 429 for `model`, with what the upstream said when
   * known), kept when it ends later than ours.
   */
  adoptCooling(
    index: number,
    model: string,
    adopted: number,
    hinted: boolean,
    reason?: string,
  ): void {
    const slot = this.#slots[index];
    // No longer than this instance's own would last: an entry written while Redis's clock was
    // far off (and set right since) ends that far late.
    const until = Math.min(
      adopted,
      this.#clock.now() + (hinted ? MAX_STATED_COOL_MS : MAX_COOL_MS),
    );
    if (!slot || until <= this.#clock.now()) return;
    const own = slot.cooling.get(model);
    if (own && own.until >= until) return;
    const said = reason ?? own?.reason;
    cool(
      slot,
      model,
      { until, strikes: own?.strikes ?? 1, hinted, ...(said ? { reason: said } : {}) },
      this.#clock.now(),
    );
    slot.setAsideSeq = ++this.#seq;
    if (index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
  }

  /**
   * A set-aside another instance learned (401/402, or a 403 for `model` only), kept when it ends
   * later than ours.
   */
  adoptSetAside(
    index: number,
    adopted: number,
    status: number,
    reason: string,
    model: string = WHOLE_KEY,
  ): void {
    const slot = this.#slots[index];
    const until = Math.min(adopted, this.#clock.now() + this.#blockMs);
    if (!slot || until <= this.#clock.now() || slot.blockedUntil >= until) return;
    if (model !== WHOLE_KEY) {
      if ((slot.blocks.get(model)?.until ?? 0) >= until) return;
      slot.setAsideSeq = ++this.#seq;
      blockModel(slot, model, { until, status, reason, seq: this.#seq }, this.#clock.now());
      if (index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
      return;
    }
    slot.blockedUntil = until;
    slot.status = status;
    slot.reason = reason;
    slot.setAsideSeq = slot.blockedSeq = ++this.#seq;
    if (index === this.#current) this.#moveTo((this.#current + 1) % this.#slots.length);
  }

  /**
   * Takes over what `previous` (this provider's pool before a reload) learned about each key this
   * pool still lists: its cool-downs, strikes and set-asides, found by the key itself, wherever it
   * now stands in the list. A key the reload removed leaves its state behind, and a new key starts
   * afresh. Nothing is kept beyond the two pools, which hold their keys anyway.
   */
  takeOver(previous: KeyPool): void {
    const now = this.#clock.now();
    for (const slot of this.#slots) {
      const old = previous.#slots.find((s) => s.lease.value === slot.lease.value);
      if (old) inherit(slot, old, now);
    }
    this.#seq = Math.max(this.#seq, previous.#seq);
  }

  /**
   * Each key's cool-downs and set-asides still running, by its index (for a store that keeps what
   * the pool learned): a set-aside for every model is under {@link WHOLE_KEY}.
   */
  rests(): KeyRest[] {
    return restsOf(this.#slots, this.#clock.now());
  }

  /** Keys set aside after 401/402/403 that are not cooling for `model`: each is worth one re-try. */
  setAside(model: string = WHOLE_KEY): KeyLease[] {
    const now = this.#clock.now();
    if (this.#missing !== undefined) return [];
    return this.#slots
      .filter((s) => blockFor(s, model, now) && coolingFor(s, model, now) === undefined)
      .map((s) => s.lease);
  }

  /** The key (not set aside) whose 429 cool-down for `model` ends first, if one is cooling. */
  soonest(model: string = WHOLE_KEY): SoonestKey | undefined {
    const now = this.#clock.now();
    if (this.#missing !== undefined) return undefined;
    let best: SoonestKey | undefined;
    for (const slot of this.#slots) {
      if (blockFor(slot, model, now)) continue;
      const cooling = coolingFor(slot, model, now);
      if (cooling && (!best || cooling.until < best.until)) {
        best = { key: slot.lease, until: cooling.until, hinted: cooling.hinted };
      }
    }
    return best;
  }

  #usable(slot: Slot, model: string, now: number): boolean {
    if (slot.blockedUntil > now) return false;
    if (slot.blockedUntil > 0) unblock(slot);
    if (model !== WHOLE_KEY && blockFor(slot, model, now)) return false;
    return coolingFor(slot, model, now) === undefined;
  }

  #moveTo(index: number): void {
    this.#current = index;
    this.#slots[index]!.turnUses = 0;
  }

  /** Per-key state for GET /health. */
  snapshot(): KeySnapshot[] {
    const now = this.#clock.now();
    return this.#slots.map((s) => snapshotOf(s, now));
  }
}
