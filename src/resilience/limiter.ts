/** Per-provider admission: a rolling-window rate limit plus a concurrency cap, behind a bounded FIFO. */

import { type Cancel, type Clock, formatMs, systemClock } from "./clock.ts";

/** Frees the slot taken by {@link Limiter.acquire}; calling it again does nothing. */
export type Release = () => void;

/** Limits for one provider; an absent limit is not enforced. */
export interface LimiterOptions {
  readonly provider: string;
  /** At most `requests` grants in any `windowMs`. */
  readonly rateLimit?: { readonly requests: number; readonly windowMs: number };
  /** At most this many slots held at once. */
  readonly maxConcurrency?: number;
  /** Waiters beyond this are refused at once. */
  readonly maxQueue?: number;
  readonly clock?: Clock;
}

/** Limiter state for GET /health. */
export interface LimiterSnapshot {
  readonly active: number;
  readonly queued: number;
  /** Grants inside the current rate window. */
  readonly inWindow: number;
}

/** Thrown at once when the wait queue is full; the dispatcher moves to the next target. */
export class LimiterFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimiterFullError";
  }
}

/**
 * A request's place in the queue, filled in by its first {@link Limiter.acquire}. A request that
 * comes back with it (a re-try, a rotation to another key) goes before everyone who arrived later,
 * and a full queue does not refuse it: it was let in already.
 */
export interface Place {
  ticket?: number;
}

interface Waiter {
  readonly ticket: number;
  resolve(release: Release): void;
  reject(reason: unknown): void;
  detach(): void;
}

/** Default wait-queue bound per provider. */
const DEFAULT_MAX_QUEUE = 100;

/** Grants slots in arrival order; waiting is a timer or a release, never polling. */
export class Limiter {
  readonly #opts: LimiterOptions;
  readonly #clock: Clock;
  // Only a positive limit over a positive window limits anything.
  readonly #rate?: { readonly requests: number; readonly windowMs: number };
  readonly #queue: Waiter[] = [];
  // Grant times still inside the window, oldest first.
  readonly #grants: number[] = [];
  #active = 0;
  #tickets = 0;
  #cancelTimer?: Cancel;
  // The limiter this one replaced on a reload, while requests still hold its slots; and the one
  // that replaced this one, told when a slot here is freed.
  #previous?: Limiter;
  #next?: Limiter;

  constructor(options: LimiterOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    const rate = options.rateLimit;
    if (rate && rate.requests > 0 && rate.windowMs > 0) this.#rate = rate;
  }

  /**
   * Waits for a slot in arrival order (by `place`, when the request was here before); rejects
   * when the queue is full or `signal` aborts.
   */
  acquire(signal?: AbortSignal, place: Place = {}): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const back = place.ticket !== undefined;
    const ticket = place.ticket ??= this.#tickets++;
    if (this.#queue.length === 0 && this.#blockedFor() === 0) return Promise.resolve(this.#grant());
    const maxQueue = this.#opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!back && this.#queue.length >= maxQueue) {
      return Promise.reject(new LimiterFullError(this.#fullMessage(maxQueue)));
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(signal?.reason);
        // The head may have left: whoever is next gets its chance.
        this.#pump();
      };
      const waiter: Waiter = {
        ticket,
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const after = this.#queue.findIndex((w) => w.ticket > ticket);
      this.#queue.splice(after < 0 ? this.#queue.length : after, 0, waiter);
      this.#pump();
    });
  }

  /** Active slots, queued waiters and grants in the current window. */
  snapshot(): LimiterSnapshot {
    this.#prune();
    return { active: this.#held(), queued: this.#queue.length, inWindow: this.#grants.length };
  }

  /**
   * Takes the place of `previous` (the provider's limiter before a reload changed its limits or
   * keys): the slots its requests still hold count here until they are freed, and so do the
   * grants in its rate window. Otherwise new requests would run beside the old ones as if none were.
   */
  takeOver(previous: Limiter): void {
    this.adoptGrants(previous.windowGrants());
    if (previous.#held() === 0) return;
    this.#previous = previous;
    previous.#next = this;
  }

  // Slots held here and in the limiters this one took over.
  #held(): number {
    const previous = this.#previous;
    return this.#active + (previous ? previous.#held() : 0);
  }

  /** Grant times (epoch ms) still inside the rate window, oldest first; empty without a rate limit. */
  windowGrants(): readonly number[] {
    this.#prune();
    return [...this.#grants];
  }

  /** Counts grants made before (by an earlier run of ccp) in the current window. */
  adoptGrants(times: readonly number[]): void {
    if (!this.#rate || times.length === 0) return;
    this.#grants.push(...times);
    this.#grants.sort((a, b) => a - b);
    this.#prune();
    // Never more than the window holds: the newest are kept.
    const excess = this.#grants.length - this.#rate.requests;
    if (excess > 0) this.#grants.splice(0, excess);
  }

  #grant(): Release {
    this.#active++;
    if (this.#rate) this.#grants.push(this.#clock.now());
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#pump();
      if (this.#next) this.#freed();
    };
  }

  // A slot of a limiter taken over is free: the one that took over may grant one. Once none is
  // held here, it lets go of this limiter (a reload's old limiter is not kept for ever).
  #freed(): void {
    const next = this.#next!;
    if (this.#held() === 0) {
      next.#previous = undefined;
      this.#next = undefined;
    }
    next.#pump();
    if (next.#next) next.#freed();
  }

  // 0 when a grant is possible now; Infinity when only a release can help; else ms to wait.
  #blockedFor(): number {
    const max = this.#opts.maxConcurrency;
    if (max !== undefined && max > 0 && this.#held() >= max) return Infinity;
    const rate = this.#rate;
    if (!rate) return 0;
    this.#prune();
    if (this.#grants.length < rate.requests) return 0;
    return Math.max(1, this.#grants[0]! + rate.windowMs - this.#clock.now());
  }

  #prune(): void {
    const rate = this.#rate;
    if (!rate) return;
    const cutoff = this.#clock.now() - rate.windowMs;
    while (this.#grants.length > 0 && this.#grants[0]! <= cutoff) this.#grants.shift();
  }

  #pump(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    while (this.#queue.length > 0) {
      const wait = this.#blockedFor();
      if (wait === Infinity) return;
      if (wait > 0) {
        // One timer for the moment the oldest grant leaves the window.
        this.#cancelTimer = this.#clock.timer(wait, () => {
          this.#cancelTimer = undefined;
          this.#pump();
        });
        return;
      }
      const waiter = this.#queue.shift()!;
      waiter.detach();
      waiter.resolve(this.#grant());
    }
  }

  #fullMessage(maxQueue: number): string {
    const limits: string[] = [];
    if (this.#opts.maxConcurrency) limits.push(`max_concurrency ${this.#opts.maxConcurrency}`);
    const rate = this.#rate;
    if (rate) limits.push(`rate_limit ${rate.requests} per ${formatMs(rate.windowMs)}`);
    return `ccp's queue for provider "${this.#opts.provider}" is full (${maxQueue} requests ` +
      `waiting; ${limits.join(", ") || "no limits"})`;
  }
}
