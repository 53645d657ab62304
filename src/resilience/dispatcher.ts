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
import { loggedText } from "../core/logged_text.ts";
import type { RequestText } from "../core/request_text.ts";
import { providerSecrets } from "../core/secrets.ts";
import { backoffCeiling, backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
import { classify } from "./classify.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import { attemptLine, describeFailure, keyRest } from "./describe.ts";
import type { KeyLease } from "./key_pool.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import { noteKeyRefusal } from "./key_refusal.ts";
import type { KeyAffinity } from "./key_choice.ts";
import { takeSlot } from "./slot.ts";
import type { Release } from "./limiter.ts";
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
import type { ResilienceRegistry } from "./registry.ts";
import {
  type Counter,
  keyId,
  lastResort,
  placeOf,
  retryHeldCredentials,
  type TryMode,
} from "./last_resort.ts";
import type { CredentialRef } from "./credential_holds.ts";
import { thrownError } from "./thrown.ts";
import {
  shareCircuit,
  type SharedBudgetCheck,
  type SharedGuards,
  syncShared,
} from "./shared_sync.ts";
import type { AttemptFailed, AttemptFn, DispatcherOptions } from "./dispatcher_options.ts";
import type { ChainWindows } from "./chain_windows.ts";

export { MAX_WAIT_MS } from "./last_resort.ts";
export type { Dispatched, DispatchTarget } from "./outcome.ts";
export type { AttemptFailed, AttemptFn, DispatcherOptions } from "./dispatcher_options.ts";

// A try in chain order: every guard holds (the last resort passes some over).
const NORMAL: TryMode = {};

// Refused keys, a 429 and a model the target lacks (asked anew: pulled, it serves) are no ill health.
const BREAKER_IGNORES = new Set(["auth", "rate_limit", "local", "target"]);

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
  readonly #overBudget?: (target: TargetRef) => SpentBudget | undefined;
  readonly #shared?: SharedGuards;
  readonly #sharedBudgets?: (target: TargetRef) => readonly SharedBudgetCheck[];
  readonly #probeAnnouncedWaits: boolean;
  readonly #judgesTarget: boolean;
  readonly #maxRetries: number;
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
    this.#maxRetries = options.maxRetries ?? Infinity;
    this.#probeAnnouncedWaits = options.probeAnnouncedWaits ?? true;
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
    const counter: Counter = {
      attempts: 0,
      tried: new Set(),
      heldNow: new Set(),
      places: new Map(),
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
      if ("result" in outcome) return outcome;
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
      ? backoffCeiling(counter.attempts - 1, this.#backoff)
      : undefined;
    // The error's wording loads with the first request that fails everywhere (~13 KB of code).
    const { exhaustedError } = await lazyImport("resilience/exhausted.ts");
    throw exhaustedError(outcomes, this.#clock.now(), repeatWait);
  }

  // A target whose keys were refused (429, 401/403) is in the state its pool is in, which says how
  // many keys wait and until when: that, not the last refusal alone, is what the client is told.
  // A target skipped for its keys is looked at again: a re-try may have set a key aside anew.
  #poolStates(chain: readonly DispatchTarget[], outcomes: TargetOutcome[]): void {
    chain.forEach((target, i) => {
      const outcome = outcomes[i];
      if (outcome?.kind === "failed") {
        if (outcome.verdict.cause !== "auth" && outcome.verdict.cause !== "rate_limit") return;
      } else if (outcome?.kind !== "keys") return;
      const pick = this.#registry.provider(target.provider).keys.pick(target.model);
      if (!pick.ok) outcomes[i] = { kind: "keys", target: refOf(target), keys: pick };
    });
  }

  async #tryTarget(
    target: DispatchTarget,
    signal: AbortSignal,
    counter: Counter,
    mode: TryMode,
  ): Promise<Dispatched<S> | TargetOutcome> {
    const ref = refOf(target);
    const spent = this.#overBudget?.(ref);
    if (spent !== undefined) {
      this.#log?.debug(`${nameOf(ref)}: skipped, budget ${spent.budget} spent`);
      return { kind: "budget", target: ref, until: spent.until, budget: spent.budget };
    }
    const credential = this.#credentialFor(target);
    const hold = credential && !mode.pastCredentialHold
      ? this.#registry.credentials.holding(ref.provider, credential, ref.model)
      : undefined;
    if (hold) {
      this.#log?.debug(`${nameOf(ref)}: skipped, ${credential!.label} refused ${hold.status}`);
      const now = counter.heldNow?.has(hold) === true;
      return { kind: "credential", target: ref, ...hold, ...(now ? { now } : {}) };
    }
    const { keys, limiter } = this.#registry.provider(target.provider);
    const breaker = this.#registry.breaker(ref.provider, ref.model);
    let sharedSlot: string | undefined;
    if (this.#shared) {
      const synced = await syncShared(this.#shared, {
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
      if ("kind" in synced) return synced;
      sharedSlot = synced.slot;
    }
    // The closures below outlive this call (settle runs when a stream ends): they use `shared`,
    // not `this`, so an open stream does not keep the dispatcher and its request alive.
    const shared = this.#shared;
    // Released by the pipeline once the answer opens: a stream's settle does not hold the text.
    const text = this.#text;
    const freeShared = () => {
      if (sharedSlot !== undefined) shared?.release(ref.provider, sharedSlot);
      sharedSlot = undefined;
    };
    let handedOver = false;
    const judges = this.#judgesTarget;
    const admission = !judges
      ? breaker.peek()
      : mode.forceBreaker
      ? breaker.force()
      : breaker.admit();
    if (!admission.ok) {
      this.#log?.debug(`${nameOf(ref)}: skipped, circuit open`);
      freeShared();
      return { kind: "open", target: ref, until: admission.until, lastError: admission.lastError };
    }
    let reported = false;
    // A failed attempt keeps its slot until it is queued again (or done), to keep its place.
    let held: Release | undefined;
    try {
      let retries = 0;
      let rotations = 0;
      const place = placeOf(counter, ref);
      for (;;) {
        const forced = rotations === 0 ? mode.key : undefined;
        const at = { place, forced, held, affinity: this.#affinity };
        const slot = await takeSlot(ref, keys, limiter, signal, at);
        held = undefined;
        if ("kind" in slot) return slot;
        const { release, key } = slot;
        counter.attempts++;
        counter.tried.add(keyId(ref.provider, key));
        counter.tried.add(keyId(ref.provider, key, ref.model));
        const sentAt = breaker.openings;
        const result = await this.#run(target, key, signal);
        if (signal.aborted) {
          release();
          if (result.ok) this.#discard(result);
          throw signal.reason;
        }
        if (result.ok) {
          // A key that answered past its set-aside or cool-down is back for every instance and
          // after a restart too, not only here. A side call's answer only shows the key is
          // accepted: its endpoint's limits are not Messages', so a cool-down stays.
          if (keys.succeeded(key, target.model, judges)) {
            shared?.cleared(ref.provider, key.index, target.model, judges);
          }
          if (credential) this.#registry.credentials.answered(ref.provider, credential, ref.model);
          // An answer ends a run of failures to answer at once (streams in flight vouch for the
          // target); the verdict on the answer itself waits for done(): it may still die mid-way.
          if (judges) breaker.answered();
          reported = true;
          const settle = (failure?: string) => {
            release();
            freeShared();
            if (!judges) return;
            const wasOpen = breaker.state !== "closed";
            if (signal.aborted) breaker.released(admission.trial);
            else if (failure !== undefined) {
              breaker.streamFailed(loggedText(failure, text), admission.trial);
            } else breaker.succeeded(sentAt, admission.trial, admission.beside);
            shareCircuit(shared, ref, breaker, wasOpen);
          };
          handedOver = true;
          return answerHandle(result, target, key.label, counter.attempts, settle);
        }
        held = release;

        const now = this.#clock.now();
        const verdict = classify(result, {
          fallbackOn: target.provider.fallbackOn,
          passthroughAuth: target.provider.auth === "passthrough",
          now,
          model: target.model,
        });
        const detail = describeFailure(result, providerSecrets(target.provider));
        // The client gets `detail`; the log, the breaker and the key pool (which other clients
        // and instances read) keep it without the request's text an upstream quoted.
        const logged = loggedText(detail, text);
        const failed: TargetOutcome = {
          kind: "failed",
          target: ref,
          failure: result,
          verdict,
          detail,
        };
        // A keyless provider's label ("no key") would read as the cause of the failure.
        const which = credential ? ` ${credential.label}` : key.value === "" ? "" : ` ${key.label}`;
        const who = `${nameOf(ref)}${which}`;
        // A refused key's line waits for the pool, which says how long the key rests.
        const rests = verdict.action === "rotate_key" && (verdict.cause !== "rate_limit" || judges);
        if (!rests) this.#log?.warn(attemptLine(who, logged, verdict));
        if (credential) {
          const held = this.#registry.credentials
            .failed(ref.provider, credential, ref.model, result, verdict);
          if (held) counter.heldNow?.add(held);
        }

        if (verdict.action === "fatal") {
          throw (await lazyImport("resilience/exhausted.ts")).failureError(failed, now);
        }
        if (verdict.action === "rotate_key") {
          if (verdict.cause === "rate_limit" && !judges) return failed;
          const until = noteKeyRefusal(keys, this.#shared, ref, key, {
            verdict,
            status: result.status,
            detail: logged,
          });
          // A last-resort key had its one try. Otherwise each rotation sets a key aside, so the
          // pool runs dry first; this only stops a loop of zero-length cool-downs (`Retry-After: 0`).
          // No key left to rotate to: what happened is this failure, not "no key".
          const rotates = !mode.key && ++rotations <= keys.size && keys.pick(target.model).ok;
          const action = rotates ? "rotate_key" : "next_target";
          const reason = keyRest(verdict, until - now);
          this.#log?.warn(attemptLine(who, logged, { ...verdict, action, reason }));
          if (!rotates) return failed;
          continue;
        }
        const hint = verdict.retryAfterMs;
        const waitable = hint === undefined || hint <= this.#backoff.maxRetryAfterMs;
        const maxRetries = Math.min(target.provider.maxRetries, this.#maxRetries);
        if (verdict.action === "retry_same" && retries < maxRetries && waitable) {
          // The provider's own base and ceiling, when it has them; a hint still wins.
          const backoff = { ...this.#backoff, ...target.provider.retryDelay };
          const delay = backoffDelay(retries++, backoff, hint);
          // A wait frees the slot for others; the request's place brings it back before later ones.
          if (delay > 0) held = void held?.();
          await sleep(this.#clock, delay, signal);
          continue;
        }
        if (judges && !BREAKER_IGNORES.has(verdict.cause)) {
          const wasOpen = breaker.state !== "closed";
          breaker.failed(logged, hint, admission.trial);
          shareCircuit(this.#shared, ref, breaker, wasOpen);
          reported = true;
        }
        return failed;
      }
    } finally {
      held?.();
      // A trial that ended without a verdict (abort, client error, no key) frees the probe slot.
      if (!reported) breaker.released(admission.ok && admission.trial);
      // An answer keeps its shared slot until it ends (settle); anything else gives it back now.
      if (!handedOver) freeShared();
    }
  }

  // Passthrough targets are sent the client's own credential: their guards are per credential.
  #credentialFor(target: DispatchTarget): CredentialRef | undefined {
    return target.provider.auth === "passthrough" ? this.#credential : undefined;
  }

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
