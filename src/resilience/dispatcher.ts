/**
 * Walks a route's chain: breaker -> limiter -> key -> attempt, then rotate, retry or move on.
 *
 * Guards (breakers, cool-downs, set-aside keys) only reorder and skip while an alternative is
 * left. When the chain ends with nothing answered and some targets were only skipped, the last
 * resort runs: every key set aside after a 401/403 gets one re-try, then the target whose guard
 * ends first gets one probe. A cool-down the upstream itself announced (`Retry-After`) is not
 * probed early -- unless it ends within a few seconds, which are waited out here rather than
 * bounced to the client as a 429 it would have to retry itself. A passthrough target held for
 * the client's own credential (its plan's limit) gets its one try after that.
 */

import type { Logger } from "../core/log.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import { loggedText } from "../core/logged_text.ts";
import type { RequestText } from "../core/request_text.ts";
import { providerSecrets } from "../core/secrets.ts";
import { backoffCeiling, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
import type { ChainWindows } from "./chain_windows.ts";
import type { Admission, CircuitBreaker } from "./circuit_breaker.ts";
import { classify } from "./classify.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import type { CredentialRef } from "./credential_holds.ts";
import { describeFailure } from "./describe.ts";
import type { AttemptFailed, AttemptFn, DispatcherOptions } from "./dispatcher_options.ts";
import { blameTarget, failureLine, fatalError, retryDelay, rotateKey } from "./failure_lessons.ts";
import type { KeyAffinity } from "./key_choice.ts";
import type { KeyLease, KeyPool } from "./key_pool.ts";
import {
  type Counter,
  lastResort,
  placeOf,
  retryHeldCredentials,
  type TryMode,
} from "./last_resort.ts";
import type { Limiter, Release } from "./limiter.ts";
import {
  answerHandle,
  type Dispatched,
  type DispatchTarget,
  nameOf,
  refOf,
  type SpentBudget,
  type TargetOutcome,
  type TargetRef,
} from "./outcome.ts";
import { withPassed } from "./passed_over.ts";
import type { ResilienceRegistry } from "./registry.ts";
import { type SharedBudgetCheck, type SharedGuards, syncShared } from "./shared_sync.ts";
import { takeSlot } from "./slot.ts";
import {
  countAttempt,
  noteAnswer,
  settleAnswer,
  SharedSlot,
  type TargetTry,
} from "./target_try.ts";
import { thrownError } from "./thrown.ts";

export type { Dispatched, DispatchTarget } from "./outcome.ts";

type Failed = Extract<TargetOutcome, { kind: "failed" }>;
type NotedFailure = { failed: Failed; logged: string; now: number };

// A try in chain order: every guard holds (the last resort passes some over).
const NORMAL: TryMode = {};

function discardResponse(result: { readonly ok: true }): void {
  const response: unknown = (result as { response?: unknown }).response;
  if (response instanceof Response) response.body?.cancel().catch(() => {});
}

/** Runs requests through a chain of targets with failover, retries, key rotation and limits. */
export class Dispatcher<S extends { readonly ok: true }> {
  readonly #registry: ResilienceRegistry;
  readonly #attempt: AttemptFn<S>;
  readonly #clock: Clock;
  // The backoff between retries and the request's own limit on them (a side call's is lower).
  readonly #retryLimits: { readonly backoff: BackoffOptions; readonly maxRetries: number };
  readonly #log?: Logger;
  readonly #discard: (result: S) => void;
  readonly #overBudget?: (target: TargetRef) => SpentBudget | undefined;
  readonly #shared?: SharedGuards;
  readonly #sharedBudgets?: (target: TargetRef) => readonly SharedBudgetCheck[];
  readonly #probeAnnouncedWaits: boolean;
  readonly #judgesTarget: boolean;
  readonly #credential?: CredentialRef;
  readonly #affinity?: KeyAffinity;
  readonly #windows?: ChainWindows;
  readonly #text?: RequestText;
  readonly #lastResort: boolean;

  constructor(options: DispatcherOptions<S>) {
    this.#text = options.text;
    this.#windows = options.windows;
    this.#lastResort = options.lastResort ?? true;
    this.#credential = options.credential;
    this.#affinity = options.affinity;
    this.#judgesTarget = options.judgesTarget ?? true;
    this.#probeAnnouncedWaits = options.probeAnnouncedWaits ?? true;
    this.#shared = options.shared;
    this.#sharedBudgets = options.sharedBudgets;
    this.#overBudget = options.overBudget;
    this.#registry = options.registry;
    this.#attempt = options.attempt;
    this.#clock = options.clock ?? systemClock;
    this.#retryLimits = {
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      maxRetries: options.maxRetries ?? Infinity,
    };
    this.#log = options.log;
    this.#discard = options.discard ?? discardResponse;
  }

  /**
   * Returns the first target that answers; throws an UpstreamError when none does,
   * or the signal's reason once the client aborts.
   */
  async dispatch(chain: readonly DispatchTarget[], signal: AbortSignal): Promise<Dispatched<S>> {
    const outcomes: TargetOutcome[] = [];
    const counter: Counter = {
      attempts: 0,
      tried: new Set(),
      heldNow: new Set(),
      places: new Map(),
      earlier: () => this.#poolStates(chain, [...outcomes]),
      alone: chain.length === 1,
    };
    for (const target of chain) {
      signal.throwIfAborted();
      const why = this.#windows?.pass(target);
      if (why !== undefined) {
        this.#log?.debug(`${nameOf(refOf(target))}: skipped, ${why}`);
        outcomes.push({ kind: "window", target: refOf(target), why });
        continue;
      }
      const outcome = await this.#tryTarget(target, signal, counter, NORMAL);
      if ("result" in outcome) return withPassed(outcome, outcomes, this.#clock);
      this.#windows?.ended(target, outcome);
      outcomes.push(outcome);
    }
    if (this.#lastResort) {
      const rescued = await lastResort(chain, outcomes, counter, signal, {
        registry: this.#registry,
        clock: this.#clock,
        ...(this.#log ? { log: this.#log } : {}),
        tryTarget: (target, mode) => this.#tryTarget(target, signal, counter, mode),
        probeAnnouncedWaits: this.#probeAnnouncedWaits,
      });
      if (rescued) return rescued;
      const held = await retryHeldCredentials(
        chain,
        outcomes,
        signal,
        (target, mode) => this.#tryTarget(target, signal, counter, mode),
      );
      if (held) return held;
    }
    this.#poolStates(chain, outcomes);
    // After several tries, a client's retry should come no sooner than ccp's next one would.
    const repeatWait = counter.attempts > 1
      ? backoffCeiling(counter.attempts - 1, this.#retryLimits.backoff)
      : undefined;
    // The error's wording loads with the first request that fails everywhere (~13 KB of code).
    const { exhaustedError } = await lazyImport("resilience/exhausted.ts");
    throw exhaustedError(outcomes, this.#clock.now(), repeatWait);
  }

  // A target whose keys were refused (429, 401/403) is in the state its pool is in, which says how
  // many keys wait and until when: that, not the last refusal alone, is what the client is told.
  // A target skipped for its keys is looked at again: a re-try may have set a key aside anew.
  #poolStates(chain: readonly DispatchTarget[], outcomes: TargetOutcome[]): TargetOutcome[] {
    chain.forEach((target, i) => {
      const outcome = outcomes[i];
      if (outcome?.kind === "failed") {
        if (outcome.verdict.cause !== "auth" && outcome.verdict.cause !== "rate_limit") return;
      } else if (outcome?.kind !== "keys") return;
      const pick = this.#registry.provider(target.provider).keys.pick(target.model);
      if (!pick.ok) outcomes[i] = { kind: "keys", target: refOf(target), keys: pick };
    });
    return outcomes;
  }

  /**
   * One try at one target: the guards that pass it over before anything is sent, the shared slot
   * and the breaker's admission, then its attempts. The guards run in this order because each
   * later one takes something (a shared slot, a breaker trial) that an earlier refusal must not.
   */
  async #tryTarget(
    target: DispatchTarget,
    signal: AbortSignal,
    counter: Counter,
    mode: TryMode,
  ): Promise<Dispatched<S> | TargetOutcome> {
    const ref = refOf(target);
    const credential = this.#credentialFor(target);
    const passed = this.#passedOver(ref, credential, counter, mode);
    if (passed) return passed;
    const { keys, limiter } = this.#registry.provider(target.provider);
    const breaker = this.#registry.breaker(ref.provider, ref.model);
    const slot = new SharedSlot(this.#shared, ref.provider);
    if (this.#shared) {
      const synced = await this.#syncShared(target, ref, keys, limiter, breaker, signal);
      if ("kind" in synced) return synced;
      slot.took(synced.slot);
    }
    const admission = this.#admit(breaker, mode);
    if (!admission.ok) {
      this.#log?.debug(`${nameOf(ref)}: skipped, circuit open`);
      slot.free();
      return { kind: "open", target: ref, until: admission.until, lastError: admission.lastError };
    }
    const at: TargetTry = {
      target,
      ref,
      credential,
      keys,
      breaker,
      admission,
      slot,
      shared: this.#shared,
      signal,
      judges: this.#judgesTarget,
      alone: counter.alone === true,
      broken: { clock: this.#clock, credentials: this.#registry.credentials, log: this.#log },
    };
    return await this.#attempts(at, limiter, counter, mode);
  }

  // Skips a target before anything is taken for it: a budget it falls under is spent, or the
  // client's own credential was lately refused there.
  #passedOver(
    ref: TargetRef,
    credential: CredentialRef | undefined,
    counter: Counter,
    mode: TryMode,
  ): TargetOutcome | undefined {
    const spent = this.#overBudget?.(ref);
    if (spent !== undefined) {
      this.#log?.debug(`${nameOf(ref)}: skipped, budget ${spent.budget} spent`);
      return { kind: "budget", target: ref, until: spent.until, budget: spent.budget };
    }
    const hold = credential && !mode.pastCredentialHold
      ? this.#registry.credentials.holding(ref.provider, credential, ref.model)
      : undefined;
    if (!hold) return undefined;
    this.#log?.debug(`${nameOf(ref)}: skipped, ${credential!.label} refused ${hold.status}`);
    const now = counter.heldNow?.has(hold) === true;
    return { kind: "credential", target: ref, ...hold, ...(now ? { now } : {}) };
  }

  // With other instances, their cool-downs, circuits and budgets are read first, and a place in
  // the shared rate window is taken: a skip here is theirs as much as this instance's.
  #syncShared(
    target: DispatchTarget,
    ref: TargetRef,
    keys: KeyPool,
    limiter: Limiter,
    breaker: CircuitBreaker,
    signal: AbortSignal,
  ): ReturnType<typeof syncShared> {
    return syncShared(this.#shared!, {
      target: ref,
      provider: target.provider,
      keys,
      limiter,
      breaker,
      budgets: this.#sharedBudgets?.(ref) ?? [],
      overBudget: this.#overBudget,
      clock: this.#clock,
      log: this.#log,
      signal,
    });
  }

  // A request that does not judge the target (a side call) only looks at the circuit; a last
  // resort goes past an open one; anything else asks the breaker, which may make it the trial.
  #admit(breaker: CircuitBreaker, mode: TryMode): Admission {
    if (!this.#judgesTarget) return breaker.peek();
    return mode.forceBreaker ? breaker.force() : breaker.admit();
  }

  // Attempts at an admitted target until one answers or what failed says to stop: a refused key
  // rotates to the next, a passing failure is retried after a wait, anything else ends the try.
  // Whatever the attempts still hold is given back at the end, however it ends.
  async #attempts(
    at: TargetTry,
    limiter: Limiter,
    counter: Counter,
    mode: TryMode,
  ): Promise<Dispatched<S> | TargetOutcome> {
    const { target, ref, keys, breaker, admission, slot, signal } = at;
    // Set once the breaker heard a verdict on this try, and once an answer took the shared slot.
    let reported = false;
    let handedOver = false;
    // A failed attempt keeps its slot until it is queued again (or done), to keep its place.
    let held: Release | undefined;
    try {
      let retries = 0;
      let rotations = 0;
      const place = placeOf(counter, ref);
      for (;;) {
        const forced = rotations === 0 ? mode.key : undefined;
        const where = { place, forced, held, affinity: this.#affinity };
        const taken = await takeSlot(ref, keys, limiter, signal, where);
        held = undefined;
        if ("kind" in taken) return taken;
        const { release, key } = taken;
        countAttempt(counter, ref, key);
        const sentAt = breaker.openings;
        const result = await this.#run(target, key, signal);
        if (signal.aborted) {
          release();
          if (result.ok) this.#discard(result);
          throw signal.reason;
        }
        if (result.ok) {
          noteAnswer(at, key, this.#registry.credentials);
          reported = true;
          const settle = settleAnswer(at, key, release, sentAt, this.#text);
          handedOver = true;
          return answerHandle(result, target, key.label, counter.attempts, settle);
        }
        held = release;
        // A local server refused max_tokens over its window: sent again fitted (no room: too long).
        const refusal = this.#windows?.refused(target, result, this.#log) ?? result;
        if (refusal === "resent") continue;
        const { failed, logged, now } = this.#noteFailure(at, refusal, counter);
        const { verdict } = failed;
        const delay = retryDelay(target, verdict, retries, this.#retryLimits);
        const line = failureLine(at, key, logged, verdict, delay !== undefined);
        if (line) this.#log?.warn(line);
        if (verdict.action === "fatal") throw await fatalError(failed, now, counter.earlier?.());
        if (verdict.action === "rotate_key") {
          const rotation = rotateKey(at, key, result, verdict, logged, mode, ++rotations, now);
          if (rotation) this.#log?.warn(rotation.line);
          if (!rotation?.rotates) return failed;
          continue;
        }
        if (delay !== undefined) {
          retries++;
          // A wait frees the slot for others; the request's place brings it back before later ones.
          if (delay > 0) held = void held?.();
          await sleep(this.#clock, delay, signal);
          continue;
        }
        if (blameTarget(at, verdict, logged)) reported = true;
        return failed;
      }
    } finally {
      held?.();
      // A trial that ended without a verdict (abort, client error, no key) frees the probe slot.
      if (!reported) breaker.released(admission.trial);
      // An answer keeps its shared slot until it ends (settle); anything else gives it back now.
      if (!handedOver) slot.free();
    }
  }

  // Classifies a failed attempt and, for a client's own credential, holds it back if the
  // upstream refused it. The client gets `detail`; the log, the breaker and the key pool (which
  // other clients and instances read) keep `logged`, without the request's text an upstream quoted.
  #noteFailure(at: TargetTry, result: AttemptFailed, counter: Counter): NotedFailure {
    const { target, ref, credential } = at;
    const now = this.#clock.now();
    const verdict = classify(result, {
      fallbackOn: target.provider.fallbackOn,
      passthroughAuth: target.provider.auth === "passthrough",
      now,
      model: target.model,
    });
    const detail = describeFailure(result, providerSecrets(target.provider));
    const logged = loggedText(detail, this.#text);
    const failed: Failed = { kind: "failed", target: ref, failure: result, verdict, detail };
    if (credential) {
      const held = this.#registry.credentials
        .failed(ref.provider, credential, ref.model, result, verdict);
      if (held) counter.heldNow?.add(held);
    }
    return { failed, logged, now };
  }

  // Passthrough targets are sent the client's own credential: their guards are per credential.
  #credentialFor(target: DispatchTarget): CredentialRef | undefined {
    return target.provider.auth === "passthrough" ? this.#credential : undefined;
  }

  // One attempt; one that throws (a network error, a timeout) is a failure like an answered one.
  async #run(
    target: DispatchTarget,
    key: KeyLease,
    signal: AbortSignal,
  ): Promise<S | AttemptFailed> {
    try {
      return await this.#attempt(target, key.value === "" ? undefined : key.value, signal);
    } catch (error) {
      const who = nameOf(refOf(target));
      return { ok: false, error: thrownError(error, signal.aborted, who, this.#log) };
    }
  }
}
