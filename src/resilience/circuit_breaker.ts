/** A circuit breaker for one provider+model target: stop sending to it while it keeps failing. */

import { type Clock, systemClock } from "./clock.ts";

/** Breaker states as GET /health shows them. */
export type BreakerState = "closed" | "open" | "half_open";

/** Tuning for a {@link CircuitBreaker}; every field has a default. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly threshold?: number;
  /** First open period; doubles on each re-open without a success in between. */
  readonly baseMs?: number;
  /** Longest open period, `Retry-After` included, so a target is always re-probed. */
  readonly maxMs?: number;
  /** A trial that has not reported after this long no longer holds the half-open slot. */
  readonly trialTimeoutMs?: number;
  readonly clock?: Clock;
}

/**
 * Result of {@link CircuitBreaker.admit}: `trial` marks the one request probing a half-open circuit;
 * `beside` a last resort sent past the circuit while another request was its trial, whose answer
 * is no verdict on it (the trial's is).
 */
export type Admission =
  | { ok: true; trial: boolean; beside?: true }
  | { ok: false; until: number; lastError?: string };

/** Breaker state for GET /health. */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  /** The longer of the two runs (before an answer, mid-stream). */
  readonly failures: number;
  /** Consecutive openings; sets the length of the next one. */
  readonly opens: number;
  readonly openUntil?: number;
  readonly lastError?: string;
}

/**
 * Opens after N consecutive failures, for a period that grows with repeats; one trial closes it.
 *
 * Two runs are counted, because an answer's verdict arrives only when its stream ends: failures
 * before any answer (connect, 5xx, first byte), which a 2xx answer ends at once ({@link answered});
 * and answers that broke mid-way, which only a complete success ends. With one run, concurrent
 * streams still in flight could not vouch for the target, so 3 quick 5xx among 30 healthy streams
 * opened it (soak: 86% of requests refused from a target that answered 80% of them).
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #trialTimeoutMs: number;
  readonly #clock: Clock;
  /** Consecutive failures before an answer; ended by any 2xx answer. */
  #failures = 0;
  /** Consecutive answers that broke mid-way; ended only by a complete success. */
  #streamFailures = 0;
  #opens = 0;
  #openUntil = 0;
  #trialRunning = false;
  #trialStartedAt = 0;
  /** Every opening so far, adopted ones included; never reset, so a request can tell its era. */
  #openings = 0;
  #lastError?: string;

  constructor(options: BreakerOptions = {}) {
    this.#threshold = Math.max(1, options.threshold ?? 3);
    this.#baseMs = options.baseMs ?? 5000;
    this.#maxMs = options.maxMs ?? 5 * 60_000;
    this.#trialTimeoutMs = options.trialTimeoutMs ?? 10 * 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Current state; an open circuit whose period has passed reads as half-open. */
  get state(): BreakerState {
    if (this.#opens === 0) return "closed";
    if (this.#trialRunning || this.#clock.now() >= this.#openUntil) return "half_open";
    return "open";
  }

  /**
   * How many times the circuit has opened: read when a request is sent and handed back with its
   * success, which then shows whether failures that opened the circuit came after it was sent.
   */
  get openings(): number {
    return this.#openings;
  }

  /** Asks to send a request: closed admits all, half-open admits exactly one trial. */
  admit(): Admission {
    const state = this.state;
    if (state === "closed") return { ok: true, trial: false };
    const now = this.#clock.now();
    // A lost trial (a caller that never reported) must not keep the circuit shut forever.
    const stale = this.#trialRunning && now - this.#trialStartedAt >= this.#trialTimeoutMs;
    if (state === "half_open" && (!this.#trialRunning || stale)) {
      this.#trialRunning = true;
      this.#trialStartedAt = now;
      return { ok: true, trial: true };
    }
    return { ok: false, until: this.#openUntil, lastError: this.#lastError };
  }

  /**
   * What a call that is no verdict on the target (a count) sees: refused only while the circuit
   * is open, never a trial. The state is read once: read twice, the open period could end between
   * the reads and the call would take the trial it can never give back.
   */
  peek(): Admission {
    if (this.state !== "open") return { ok: true, trial: false };
    return { ok: false, until: this.#openUntil, lastError: this.#lastError };
  }

  /**
   * Admits a probe although the circuit is open: the last resort of a route with nothing else
   * left to try. It is the trial unless another one is already running; then it goes beside it.
   * Sent before the open period ends, it is no trial (its failure does not grow the period), but
   * its success, after the failures that opened the circuit, closes it.
   */
  force(): Admission {
    const admission = this.admit();
    if (admission.ok) return admission;
    // admit() takes a lost trial's slot itself: one running here is live.
    return this.#trialRunning
      ? { ok: true, trial: false, beside: true }
      : { ok: true, trial: false };
  }

  /** The target answered (2xx headers): a run of failures to answer is over. */
  answered(): void {
    this.#failures = 0;
  }

  /**
   * A success closes the circuit at once and forgets the growth: the cause is gone. Unless the
   * circuit opened after the request was sent (`sentAt`: {@link openings} then): such a success
   * says nothing of the failures that opened it since, and would let them all through again, so
   * it only frees the trial slot, if it held it. Nor does a request sent `beside` a running trial
   * (a last resort): only the trial's own success, or one of a request sent while the circuit was
   * closed, closes it.
   */
  succeeded(sentAt = this.#openings, trial = false, beside = false): void {
    if (beside || sentAt !== this.#openings) return this.released(trial);
    this.#failures = 0;
    this.#streamFailures = 0;
    this.#opens = 0;
    this.#openUntil = 0;
    this.#trialRunning = false;
  }

  /**
   * Counts a target-level failure before any answer; opens (or re-opens, longer) at the threshold.
   * `trial`: the failed request was admitted as the half-open circuit's trial.
   */
  failed(error: string, retryAfterMs?: number, trial = false): void {
    this.#trip(error, ++this.#failures, retryAfterMs, trial);
  }

  /** Counts an answer that broke mid-way (idle timeout, reset); opens at the threshold. */
  streamFailed(error: string, trial = false): void {
    this.#trip(error, ++this.#streamFailures, undefined, trial);
  }

  #trip(error: string, run: number, retryAfterMs: number | undefined, trial: boolean): void {
    this.#lastError = error;
    if (trial) this.#trialRunning = false;
    // A failed trial always re-opens: an earlier request's answer may have ended the run.
    if (run < this.#threshold && !trial) return;
    // A failure from a request admitted before the circuit opened must not extend the period, nor
    // stand for a trial still running (a stream that breaks now, begun before the failures).
    if (
      !trial && this.#opens > 0 && (this.#trialRunning || this.#clock.now() < this.#openUntil)
    ) return;
    const grown = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#opens);
    const period = Math.min(this.#maxMs, Math.max(grown, retryAfterMs ?? 0));
    this.#opens++;
    this.#openings++;
    this.#openUntil = this.#clock.now() + period;
  }

  /**
   * An open period another instance saw: the circuit opens until then, if not already longer.
   * Shared entries keep whole ms: this circuit's own period, read back rounded up, is no opening.
   */
  adoptOpen(adopted: number, lastError?: string): void {
    // No longer than its own longest period (a far-off Redis clock set right since).
    const until = Math.min(adopted, this.#clock.now() + this.#maxMs);
    const own = Math.round(this.#openUntil);
    if (until <= this.#clock.now() || (this.#opens > 0 && own >= until)) return;
    this.#opens = Math.max(this.#opens, 1);
    this.#openings++;
    this.#openUntil = until;
    if (lastError !== undefined) this.#lastError = lastError;
  }

  /** Ends a trial that proved nothing (client error, abort, no key): the next request may probe. */
  released(trial: boolean): void {
    if (trial) this.#trialRunning = false;
  }

  /** State, failure count, open period and last error, for GET /health. */
  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      failures: Math.max(this.#failures, this.#streamFailures),
      opens: this.#opens,
      ...(state === "closed" ? {} : { openUntil: this.#openUntil }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }
}
