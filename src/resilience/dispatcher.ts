/**
 * Walks a route's chain: breaker → limiter → key → attempt, then rotate, retry or move on.
 *
 * Guards (breakers, cool-downs, set-aside keys) only reorder and skip while an alternative is
 * left. When the chain ends with nothing answered and some targets were only skipped, the last
 * resort runs: every key set aside after a 401/403 gets one re-try, then the target whose guard
 * ends first gets one probe. A cool-down the upstream itself announced (`Retry-After`) is not
 * probed early — unless it ends within a few seconds, which are waited out here rather than
 * bounced to the client as a 429 it would have to retry itself.
 */

import type { ProviderConfig } from "../config/types.ts";
import { ProxyError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
import { classify, type Failure } from "./classify.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import { describeFailure } from "./describe.ts";
import { exhaustedError, failureError } from "./exhausted.ts";
import { type KeyLease, type KeyPool, WHOLE_KEY } from "./key_pool.ts";
import type { CircuitBreaker } from "./circuit_breaker.ts";
import { type Limiter, LimiterFullError, type Release } from "./limiter.ts";
import { nameOf, type TargetOutcome, type TargetRef } from "./outcome.ts";
import type { ResilienceRegistry } from "./registry.ts";
import type { SharedBudgetCheck } from "../usage/budgets.ts";

/** One step of a route: the provider's config and the upstream model name. */
export interface DispatchTarget {
  readonly provider: ProviderConfig;
  readonly model: string;
}

/** A failed attempt, as the transport reports it (before any byte reached the client). */
export interface AttemptFailed extends Failure {
  readonly ok: false;
}

/** The transport: one request to one target with one key (undefined for keyless providers). */
export type AttemptFn<S extends { readonly ok: true }> = (
  target: DispatchTarget,
  key: string | undefined,
  signal: AbortSignal,
) => Promise<S | AttemptFailed>;

/** A target that answered; call `done` when its answer ends. */
export interface Dispatched<S> {
  readonly result: S;
  readonly target: DispatchTarget;
  /** Safe to log: `key 2 (…abcd)` or `no key`. */
  readonly keyLabel: string;
  /** Upstream attempts this request made, this one included. */
  readonly attempts: number;
  /**
   * Call when the answer has ended: frees the limiter slot and gives the breaker its verdict
   * (pass a reason when the answer broke mid-way). Idempotent.
   */
  done(failure?: string): void;
}

/** How a target is tried: normally, or as a last resort past its guards. */
interface TryMode {
  /** Admit the attempt although the target's circuit is open. */
  readonly forceBreaker?: boolean;
  /** Use this key although it is set aside or cooling (one try, no rotation). */
  readonly key?: KeyLease;
}

const NORMAL: TryMode = {};

/** A last-resort probe: which target, when its guards end, how long to wait first, and how. */
interface Probe {
  readonly index: number;
  readonly until: number;
  /** An announced cool-down still running: waited out before the probe. */
  readonly wait: number;
  readonly mode: TryMode;
}

/** What one request has done so far: attempts made and keys used (`provider#index`). */
interface Counter {
  attempts: number;
  readonly tried: Set<string>;
}

function keyId(provider: string, key: KeyLease): string {
  return `${provider}#${key.index}`;
}

/** How often a request waiting for a shared concurrency slot asks again. */
const SHARED_SLOT_POLL_MS = 50;
/** A shared sync's answer when a budget the request falls under is spent. */
const SHARED_BUDGET_SPENT = -2;
/** How long a request waits in line for a shared concurrency slot at most. */
const SHARED_SLOT_PATIENCE_MS = 60_000;

/** The longest announced cool-down waited out inside ccp before answering 429. */
export const MAX_WAIT_MS = 5000;

/** Dependencies of a {@link Dispatcher}. */
export interface DispatcherOptions<S extends { readonly ok: true }> {
  readonly registry: ResilienceRegistry;
  readonly attempt: AttemptFn<S>;
  readonly clock?: Clock;
  readonly backoff?: Partial<BackoffOptions>;
  readonly log?: Logger;
  /** Frees a success that arrived after the client left; defaults to cancelling `result.response`. */
  readonly discard?: (result: S) => void;
  /** When a target's budget is spent: when it resets (epoch ms); such a target is skipped. */
  readonly overBudget?: (target: TargetRef) => number | undefined;
  /** Guard state shared with other instances (Redis), when configured. */
  readonly shared?: SharedGuards;
  /** The shared budget counters a target's request must check (with `shared`). */
  readonly sharedBudgets?: (target: TargetRef) => readonly SharedBudgetCheck[];
}

/** What one attempt tells shared guard state, and what it may adopt into. */
export interface SharedSyncInput {
  readonly provider: string;
  readonly model: string;
  /** The provider's keys as configured: entries learned for other keys are not adopted. */
  readonly apiKeys: readonly string[];
  readonly keys: KeyPool;
  readonly breaker: CircuitBreaker;
  readonly limiter: Limiter;
  readonly rate?: { readonly requests: number; readonly windowMs: number };
  readonly maxConcurrency?: number;
  /** Budgets the request falls under: a spent one stops the attempt before it takes a place. */
  readonly budgets?: readonly SharedBudgetCheck[];
}

/**
 * What sync found: 0 = go (holding `slot` if any); -1 = every shared slot is taken; -2 = a shared
 * budget is spent; n > 0 = the shared rate window is full for n ms.
 */
export interface SharedSyncResult {
  readonly waitMs: number;
  readonly slot?: string;
}

/** What the dispatcher asks of guard state shared between instances, or kept across restarts. */
export interface SharedGuards {
  /** Adopts what others learned for this target; takes a shared rate-window place (waitMs 0). */
  sync(input: SharedSyncInput): Promise<SharedSyncResult>;
  /** Gives back a concurrency slot `sync` took. */
  release(provider: string, slot: string): void;
  cooling(provider: string, index: number, model: string, until: number, hinted: boolean): void;
  setAside(provider: string, index: number, until: number, status: number, reason: string): void;
  circuit(provider: string, model: string, until: number, lastError?: string): void;
}

// Key rotation and 429 causes are the key pool's business, not a sign the target is unhealthy.
const BREAKER_IGNORES = new Set(["auth", "rate_limit", "local"]);

function discardResponse(result: { readonly ok: true }): void {
  const response: unknown = (result as { response?: unknown }).response;
  if (response instanceof Response) response.body?.cancel().catch(() => {});
}

/** Runs requests through a chain of targets with failover, retries, key rotation and limits. */
export class Dispatcher<S extends { readonly ok: true }> {
  readonly #registry: ResilienceRegistry;
  readonly #attempt: AttemptFn<S>;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #log?: Logger;
  readonly #discard: (result: S) => void;
  readonly #overBudget?: (target: TargetRef) => number | undefined;
  readonly #shared?: SharedGuards;
  readonly #sharedBudgets?: (target: TargetRef) => readonly SharedBudgetCheck[];

  constructor(options: DispatcherOptions<S>) {
    this.#shared = options.shared;
    this.#sharedBudgets = options.sharedBudgets;
    this.#overBudget = options.overBudget;
    this.#registry = options.registry;
    this.#attempt = options.attempt;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#log = options.log;
    this.#discard = options.discard ?? discardResponse;
  }

  /**
   * Returns the first target that answers; throws an UpstreamError when none does,
   * or the signal's reason once the client aborts.
   */
  async dispatch(chain: readonly DispatchTarget[], signal: AbortSignal): Promise<Dispatched<S>> {
    const outcomes: TargetOutcome[] = [];
    const counter: Counter = { attempts: 0, tried: new Set() };
    for (const target of chain) {
      signal.throwIfAborted();
      const outcome = await this.#tryTarget(target, signal, counter, NORMAL);
      if ("result" in outcome) return outcome;
      outcomes.push(outcome);
    }
    const rescued = await this.#lastResort(chain, outcomes, signal, counter);
    if (rescued) return rescued;
    this.#poolStates(chain, outcomes);
    throw exhaustedError(outcomes, this.#clock.now());
  }

  // A target whose keys were refused (429, 401/403) is in the state its pool is in, which says how
  // many keys wait and until when: that, not the last refusal alone, is what the client is told.
  #poolStates(chain: readonly DispatchTarget[], outcomes: TargetOutcome[]): void {
    chain.forEach((target, i) => {
      const outcome = outcomes[i];
      if (outcome?.kind !== "failed") return;
      if (outcome.verdict.cause !== "auth" && outcome.verdict.cause !== "rate_limit") return;
      const pick = this.#registry.provider(target.provider).keys.pick(target.model);
      if (!pick.ok) outcomes[i] = { kind: "keys", target: refOf(target), keys: pick };
    });
  }

  /** Tries what the guards skipped, now that nothing else is left; updates `outcomes` in place. */
  async #lastResort(
    chain: readonly DispatchTarget[],
    outcomes: TargetOutcome[],
    signal: AbortSignal,
    counter: Counter,
  ): Promise<Dispatched<S> | undefined> {
    // Every key set aside after a 401/403 gets one re-try: keys are fixed or replaced upstream.
    // Keys refused during this very request are not asked again.
    for (let i = 0; i < chain.length; i++) {
      const target = chain[i]!;
      const before = outcomes[i];
      const { keys } = this.#registry.provider(target.provider);
      // A target skipped for its open circuit never looked at its keys: it may have none left.
      const blocked = before?.kind === "keys" ||
        (before?.kind === "failed" && before.verdict.cause === "auth") ||
        (before?.kind === "open" && !keys.pick(target.model).ok);
      if (!blocked) continue;
      for (const key of keys.setAside(target.model)) {
        if (counter.tried.has(keyId(target.provider.id, key))) continue;
        signal.throwIfAborted();
        const outcome = await this.#tryTarget(target, signal, counter, { key, forceBreaker: true });
        if ("result" in outcome) return outcome;
        outcomes[i] = outcome;
      }
    }
    // Then the one target whose guards end first gets a probe, skipping announced waits too long
    // to wait out: the upstream said when, and probing before then earns another 429.
    const now = this.#clock.now();
    let best: Probe | undefined;
    for (let i = 0; i < chain.length; i++) {
      const probe = this.#probeOf(i, chain[i]!, outcomes[i], now);
      if (probe && probe.wait <= MAX_WAIT_MS && (!best || probe.until < best.until)) best = probe;
    }
    if (!best) return undefined;
    if (best.wait > 0) {
      this.#log?.debug(
        `${nameOf(refOf(chain[best.index]!))}: waiting ${best.wait} ms for its cool-down`,
      );
      await sleep(this.#clock, best.wait, signal);
    }
    const outcome = await this.#tryTarget(chain[best.index]!, signal, counter, best.mode);
    if ("result" in outcome) return outcome;
    outcomes[best.index] = outcome;
    return undefined;
  }

  /**
   * When and how a target the guards kept from answering can be probed. A target may have two
   * guards at once (an open circuit and cooling keys): it is usable when both have ended, the
   * circuit is ccp's own guess and can be forced, a cool-down the upstream announced cannot.
   */
  #probeOf(
    index: number,
    target: DispatchTarget,
    outcome: TargetOutcome | undefined,
    now: number,
  ): Probe | undefined {
    const keys = this.#registry.provider(target.provider).keys;
    if (outcome?.kind === "failed" && outcome.verdict.cause === "rate_limit") {
      // A key that just answered 429 without saying when is not asked again at once.
      const soonest = keys.soonest(target.model);
      if (!soonest?.hinted) return undefined;
      const mode = { key: soonest.key, forceBreaker: true };
      return { index, until: soonest.until, wait: Math.max(0, soonest.until - now), mode };
    }
    if (outcome?.kind !== "open" && outcome?.kind !== "keys") return undefined;
    const circuitUntil = outcome.kind === "open" ? outcome.until : now;
    // A key may be usable by now: one whose cool-down ended while other targets were tried, or the
    // keys of a target its open circuit kept ccp from looking at.
    if (keys.pick(target.model).ok) {
      return { index, until: circuitUntil, wait: 0, mode: { forceBreaker: true } };
    }
    // Keys set aside after 401/403 had their re-try above: only a cooling key can be probed.
    const soonest = keys.soonest(target.model);
    if (!soonest) return undefined;
    return {
      index,
      until: Math.max(circuitUntil, soonest.until),
      wait: soonest.hinted ? Math.max(0, soonest.until - now) : 0,
      mode: { key: soonest.key, forceBreaker: true },
    };
  }

  async #tryTarget(
    target: DispatchTarget,
    signal: AbortSignal,
    counter: Counter,
    mode: TryMode,
  ): Promise<Dispatched<S> | TargetOutcome> {
    const ref = refOf(target);
    const spentUntil = this.#overBudget?.(ref);
    if (spentUntil !== undefined) {
      this.#log?.debug(`${nameOf(ref)}: skipped, budget spent`);
      return { kind: "budget", target: ref, until: spentUntil };
    }
    const { keys, limiter } = this.#registry.provider(target.provider);
    const breaker = this.#registry.breaker(ref.provider, ref.model);
    let sharedSlot: string | undefined;
    if (this.#shared) {
      const synced = await this.#syncShared(target, keys, limiter, breaker, signal);
      if ("kind" in synced) return synced;
      sharedSlot = synced.slot;
    }
    const freeShared = () => {
      if (sharedSlot !== undefined) this.#shared?.release(ref.provider, sharedSlot);
      sharedSlot = undefined;
    };
    let handedOver = false;
    const admission = mode.forceBreaker ? breaker.force() : breaker.admit();
    if (!admission.ok) {
      this.#log?.debug(`${nameOf(ref)}: skipped, circuit open`);
      freeShared();
      return { kind: "open", target: ref, until: admission.until, lastError: admission.lastError };
    }
    let reported = false;
    try {
      let retries = 0;
      let rotations = 0;
      for (;;) {
        const slot = await this.#slot(
          ref,
          keys,
          limiter,
          signal,
          rotations === 0 ? mode.key : undefined,
        );
        if ("kind" in slot) return slot;
        const { release, key } = slot;
        counter.attempts++;
        counter.tried.add(keyId(ref.provider, key));
        const result = await this.#run(target, key, signal);
        if (signal.aborted) {
          release();
          if (result.ok) this.#discard(result);
          throw signal.reason;
        }
        if (result.ok) {
          keys.succeeded(key, target.model);
          // An answer ends a run of failures to answer at once (streams in flight vouch for the
          // target); the verdict on the answer itself waits for done(): it may still die mid-way.
          breaker.answered();
          reported = true;
          const settle = (failure?: string) => {
            release();
            freeShared();
            const wasOpen = breaker.state !== "closed";
            if (signal.aborted) breaker.released(admission.trial);
            else if (failure === undefined) breaker.succeeded();
            else breaker.streamFailed(failure);
            this.#shareCircuit(ref, breaker, wasOpen);
          };
          handedOver = true;
          return this.#success(result, target, key, counter.attempts, settle);
        }
        release();

        const now = this.#clock.now();
        const verdict = classify(result, {
          fallbackOn: target.provider.fallbackOn,
          passthroughAuth: target.provider.auth === "passthrough",
          now,
          model: target.model,
        });
        const detail = describeFailure(result, target.provider.apiKeys);
        const failed: TargetOutcome = {
          kind: "failed",
          target: ref,
          failure: result,
          verdict,
          detail,
        };
        this.#log?.warn(`${nameOf(ref)} ${key.label}: ${detail} → ${verdict.action}`);

        if (verdict.action === "fatal") throw failureError(failed, now);
        if (verdict.action === "rotate_key") {
          if (verdict.cause === "rate_limit") {
            const scope = verdict.scope === "key" ? WHOLE_KEY : target.model;
            const until = keys.rateLimited(key, verdict.retryAfterMs, scope);
            this.#shared?.cooling(
              ref.provider,
              key.index,
              scope,
              until,
              verdict.retryAfterMs !== undefined,
            );
          } else {
            const until = keys.rejected(key, result.status ?? 0, detail);
            this.#shared?.setAside(ref.provider, key.index, until, result.status ?? 0, detail);
          }
          // A last-resort key had its one try. Otherwise each rotation sets a key aside, so the
          // pool runs dry first; this only stops a loop of zero-length cool-downs (`Retry-After: 0`).
          if (mode.key || ++rotations > keys.size) return failed;
          // No key left to rotate to: what happened is this failure, not "no key".
          if (!keys.pick(target.model).ok) return failed;
          continue;
        }
        const hint = verdict.retryAfterMs;
        const waitable = hint === undefined || hint <= this.#backoff.maxRetryAfterMs;
        if (verdict.action === "retry_same" && retries < target.provider.maxRetries && waitable) {
          await sleep(this.#clock, backoffDelay(retries, this.#backoff, hint), signal);
          retries++;
          continue;
        }
        if (!BREAKER_IGNORES.has(verdict.cause)) {
          const wasOpen = breaker.state !== "closed";
          breaker.failed(detail, hint);
          this.#shareCircuit(ref, breaker, wasOpen);
          reported = true;
        }
        return failed;
      }
    } finally {
      // A trial that ended without a verdict (abort, client error, no key) frees the probe slot.
      if (!reported) breaker.released(admission.ok && admission.trial);
      // An answer keeps its shared slot until it ends (settle); anything else gives it back now.
      if (!handedOver) freeShared();
    }
  }

  async #run(
    target: DispatchTarget,
    key: KeyLease,
    signal: AbortSignal,
  ): Promise<S | AttemptFailed> {
    try {
      return await this.#attempt(target, key.value === "" ? undefined : key.value, signal);
    } catch (error) {
      // A transport's own errors (and an abort) are judged like reported ones. Anything else is a
      // bug inside ccp (a translator that threw on a request): never an upstream failure, so it is
      // not retried and not held against the target or its key — it answers 500, naming ccp.
      if (signal.aborted || error instanceof ProxyError) return { ok: false, error };
      const who = nameOf({ provider: target.provider.id, model: target.model });
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const trace = error instanceof Error ? error.stack ?? reason : reason;
      this.#log?.error(`Internal error in ccp preparing the request for ${who}: ${trace}`);
      return {
        ok: false,
        error: new ProxyError(
          "api_error",
          `Internal error in ccp (not the upstream's fault) while handling the request for ` +
            `${who}: ${reason}`,
          { status: 500 },
        ),
      };
    }
  }

  // Looks at the keys before queueing (waiting for a slot on a target with no usable key is
  // pointless) and again after, since the wait may have outlived the key. A last-resort key is
  // used as given.
  /**
   * The one round trip to shared state before an attempt; waits in line while the shared rate
   * window is full, up to one window, then reports the target busy. A shared store that does not
   * answer changes nothing: this instance's own guards decide.
   */
  async #syncShared(
    target: DispatchTarget,
    keys: KeyPool,
    limiter: Limiter,
    breaker: CircuitBreaker,
    signal: AbortSignal,
  ): Promise<TargetOutcome | { readonly slot?: string }> {
    const ref = refOf(target);
    const rate = target.provider.rateLimit;
    const maxConcurrency = target.provider.maxConcurrency;
    const budgets = this.#sharedBudgets?.(ref) ?? [];
    // The line: one window for a full rate window, a while for every slot taken.
    const patience = Math.max(rate?.windowMs ?? 0, SHARED_SLOT_PATIENCE_MS);
    let waited = 0;
    for (;;) {
      let reply: { readonly waitMs: number; readonly slot?: string };
      try {
        reply = await this.#shared!.sync({
          provider: ref.provider,
          model: ref.model,
          apiKeys: target.provider.apiKeys,
          keys,
          breaker,
          limiter,
          ...(rate ? { rate } : {}),
          ...(maxConcurrency ? { maxConcurrency } : {}),
          ...(budgets.length > 0 ? { budgets } : {}),
        });
      } catch {
        return {};
      }
      if (reply.waitMs === 0) return reply.slot !== undefined ? { slot: reply.slot } : {};
      if (reply.waitMs === SHARED_BUDGET_SPENT) {
        // The counters were adopted: the local tally now says until when.
        const until = this.#overBudget?.(ref) ?? this.#clock.now() + 60_000;
        this.#log?.debug(`${nameOf(ref)}: skipped, budget spent across instances`);
        return { kind: "budget", target: ref, until };
      }
      const wait = reply.waitMs < 0 ? SHARED_SLOT_POLL_MS : reply.waitMs;
      if (waited + wait > patience) {
        const limits = [
          ...(maxConcurrency ? [`max_concurrency ${maxConcurrency}`] : []),
          ...(rate ? [`rate_limit ${rate.requests} per ${rate.windowMs} ms`] : []),
        ].join(", ");
        return {
          kind: "busy",
          target: ref,
          message: `${nameOf(ref)}: ${limits} reached across every ccp instance`,
        };
      }
      await sleep(this.#clock, wait, signal);
      waited += wait;
    }
  }

  // Other instances learn when this target's circuit opens, and when it closes again.
  #shareCircuit(ref: TargetRef, breaker: CircuitBreaker, wasOpen: boolean): void {
    if (!this.#shared) return;
    const snap = breaker.snapshot();
    if (snap.state === "open" && snap.openUntil !== undefined) {
      this.#shared.circuit(ref.provider, ref.model, snap.openUntil, snap.lastError);
    } else if (wasOpen && snap.state === "closed") this.#shared.circuit(ref.provider, ref.model, 0);
  }

  async #slot(
    ref: TargetRef,
    keys: KeyPool,
    limiter: Limiter,
    signal: AbortSignal,
    forced?: KeyLease,
  ): Promise<{ release: Release; key: KeyLease } | TargetOutcome> {
    const early = forced ? undefined : keys.pick(ref.model);
    if (early && !early.ok) return { kind: "keys", target: ref, keys: early };
    let release: Release;
    try {
      release = await limiter.acquire(signal);
    } catch (error) {
      if (error instanceof LimiterFullError) {
        return { kind: "busy", target: ref, message: error.message };
      }
      throw error;
    }
    if (forced) return { release, key: forced };
    const pick = keys.pick(ref.model);
    if (pick.ok) return { release, key: pick.key };
    release();
    return { kind: "keys", target: ref, keys: pick };
  }

  #success(
    result: S,
    target: DispatchTarget,
    key: KeyLease,
    attempts: number,
    settle: (failure?: string) => void,
  ): Dispatched<S> {
    let finished = false;
    return {
      result,
      target,
      keyLabel: key.label,
      attempts,
      done: (failure?: string) => {
        if (finished) return;
        finished = true;
        settle(failure);
      },
    };
  }
}

function refOf(target: DispatchTarget): TargetRef {
  return { provider: target.provider.id, model: target.model };
}
