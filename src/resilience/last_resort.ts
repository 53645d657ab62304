/**
 * The last resort: when every target of a route was kept from answering by its guards, which one
 * may be tried anyway, when, and how (a set-aside key once more, past an open circuit, with a
 * cooling key once its announced wait is short enough, or at once when nothing else is left).
 */

import type { Logger } from "../core/log.ts";
import type { Cause } from "./classify.ts";
import { type Clock, sleep } from "./clock.ts";
import type { KeyLease, KeyPool } from "./key_pool.ts";
import type { Place } from "./limiter.ts";
import { nameOf, type TargetOutcome, type TargetRef } from "./outcome.ts";
import type { ResilienceRegistry } from "./registry.ts";
import type { DispatchTarget } from "./dispatcher.ts";

/** Causes that leave a target without a usable key: its set-aside keys are what is left. */
const KEY_CAUSES: ReadonlySet<Cause> = new Set(["auth", "rate_limit"]);

/** The longest announced cool-down waited out inside ccp before answering 429. */
export const MAX_WAIT_MS = 5000;

/** What one request has done so far: attempts made and keys used (see {@link keyId}). */
export interface Counter {
  attempts: number;
  /** Each key used, as `provider#index` and as `provider#index/model` for the model it was sent. */
  readonly tried: Set<string>;
  /** Client-credential holds this very request set (its plan refused it just now). */
  readonly heldNow?: Set<object>;
  /**
   * The request's place in each target's limiter queue (by `provider/model`), taken on its first
   * try: a last-resort try comes back to it, as a retry or a key rotation does.
   */
  readonly places?: Map<string, Place>;
  /** What the route's targets came to so far, as its error would say it (a fatal failure's too). */
  readonly earlier?: () => TargetOutcome[];
  /** The route has one target: a failure that ends a try there has no other to move to. */
  readonly alone?: boolean;
}

/** How a key is named in {@link Counter.tried}: for any model, or for `model`. */
export function keyId(provider: string, key: KeyLease, model?: string): string {
  return model === undefined ? `${provider}#${key.index}` : `${provider}#${key.index}/${model}`;
}

/** The request's place in `ref`'s limiter queue: the one its first try there took, if any. */
export function placeOf(counter: Counter, ref: TargetRef): Place {
  const name = nameOf(ref);
  let place = counter.places?.get(name);
  if (!place) {
    place = {};
    counter.places?.set(name, place);
  }
  return place;
}

/** How a target is tried: normally, or as a last resort past its guards. */
export interface TryMode {
  /** Admit the attempt although the target's circuit is open. */
  readonly forceBreaker?: boolean;
  /** Use this key although it is set aside or cooling (one try, no rotation). */
  readonly key?: KeyLease;
  /** Send the client's own credential although it was lately refused here. */
  readonly pastCredentialHold?: boolean;
}

/** A last-resort probe: which target, when its guards end, how long to wait first, and how. */
export interface Probe {
  readonly index: number;
  readonly until: number;
  /** An announced cool-down still running: waited out before the probe. */
  readonly wait: number;
  readonly mode: TryMode;
}

/**
 * When and how a target the guards kept from answering can be probed. A target may have two
 * guards at once (an open circuit and cooling keys): it is usable when both have ended, the
 * circuit is ccp's own guess and can be forced, a cool-down the upstream announced cannot.
 */
function probeOf(
  index: number,
  target: { readonly model: string },
  keys: KeyPool,
  outcome: TargetOutcome | undefined,
  now: number,
): Probe | undefined {
  if (outcome?.kind === "failed" && outcome.verdict.cause === "rate_limit") {
    // A key that just answered 429 without saying when is not asked again at once.
    const soonest = keys.soonest(target.model);
    if (!soonest?.hinted) return undefined;
    const mode = { key: soonest.key, forceBreaker: true };
    return { index, until: soonest.until, wait: Math.max(0, soonest.until - now), mode };
  }
  // A target whose last key was just refused (401/403) has its other keys cooling, if any: the
  // one whose cool-down ends first is probed as for a target skipped for its keys. The refused
  // key itself is set aside, or (passthrough) the client's own and never asked again.
  const refused = outcome?.kind === "failed" && outcome.verdict.cause === "auth";
  if (outcome?.kind !== "open" && outcome?.kind !== "keys" && !refused) return undefined;
  const circuitUntil = outcome.kind === "open" ? outcome.until : now;
  // A key may be usable by now: one whose cool-down ended while other targets were tried, or the
  // keys of a target its open circuit kept ccp from looking at.
  if (!refused && keys.pick(target.model).ok) {
    return { index, until: circuitUntil, wait: 0, mode: { forceBreaker: true } };
  }
  // Keys set aside after 401/403 had their re-try already: only a cooling key can be probed.
  const soonest = keys.soonest(target.model);
  if (!soonest) return undefined;
  return {
    index,
    until: Math.max(circuitUntil, soonest.until),
    wait: soonest.hinted ? Math.max(0, soonest.until - now) : 0,
    mode: { key: soonest.key, forceBreaker: true },
  };
}

/** What {@link lastResort} needs of the dispatcher. */
export interface LastResortDeps<R> {
  readonly registry: ResilienceRegistry;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Tries one target in a mode; an answer is returned as is, anything else as its outcome. */
  readonly tryTarget: (target: DispatchTarget, mode: TryMode) => Promise<R | TargetOutcome>;
  /**
   * False: a cool-down the upstream announced is neither probed early nor waited out (the caller
   * has a fallback it answers with at once).
   */
  readonly probeAnnouncedWaits?: boolean;
}

/** Whether a key of `keys` cools down for `model` (and will serve again at its end). */
function coolingKey(keys: KeyPool, model: string): boolean {
  const pick = keys.pick(model);
  return !pick.ok && pick.reason === "cooling";
}

/** Tries what the guards skipped, now that nothing else is left; updates `outcomes` in place. */
export async function lastResort<R extends object>(
  chain: readonly DispatchTarget[],
  outcomes: TargetOutcome[],
  counter: Counter,
  signal: AbortSignal,
  deps: LastResortDeps<R>,
): Promise<R | undefined> {
  const answered = (outcome: R | TargetOutcome): outcome is R => !("kind" in outcome);
  // Every key set aside after a 401/403 gets one re-try: keys are fixed or replaced upstream.
  // Keys refused during this very request are not asked again, save for another model: a 403 may
  // refuse one model only (an account without access to it), so a key it set aside for one of
  // the provider's models is asked once for each other model of the route.
  for (let i = 0; i < chain.length; i++) {
    const target = chain[i]!;
    const before = outcomes[i];
    const { keys } = deps.registry.provider(target.provider);
    // A target whose last key was refused (401/403) or rate limited (429) ran out of keys like a
    // target skipped for them; one skipped for its open circuit never looked at its keys.
    const blocked = before?.kind === "keys" ||
      (before?.kind === "failed" && KEY_CAUSES.has(before.verdict.cause)) ||
      (before?.kind === "open" && !keys.pick(target.model).ok);
    if (!blocked) continue;
    for (const key of keys.setAside(target.model)) {
      const id = target.provider.id;
      const triedHere = counter.tried.has(keyId(id, key, target.model));
      const refused = counter.tried.has(keyId(id, key)) &&
        keys.setAsideStatus(key, target.model) !== 403;
      if (triedHere || refused) continue;
      signal.throwIfAborted();
      const outcome = await deps.tryTarget(target, { key, forceBreaker: true });
      if (answered(outcome)) return outcome;
      // A re-try that answered 429 changes what the target is (its key now cools). One refused
      // again leaves the target as it was, and so does one that failed on the way (5xx, timeout,
      // a full limiter) while another key cools: the probe below goes by that, so a key that just
      // answered 429 is not asked again at once, a cooling key is still probed, and the client is
      // told of the keys' state. With no key cooling, such a failure is the newest word on the
      // target: the client hears it (retried soon) rather than a set-aside of up to 30 minutes.
      if (outcome.kind !== "failed" || outcome.verdict.cause === "auth") continue;
      if (outcome.verdict.cause === "rate_limit" || !coolingKey(keys, target.model)) {
        outcomes[i] = outcome;
      }
    }
  }
  // Then the one target whose guards end first gets a probe. An announced wait too long to wait
  // out is passed over while another probe is possible (the upstream said when, and probing
  // before then likely earns another 429); when it is all that is left and this request has not
  // reached any upstream yet, the soonest of them is tried at once: a request is never refused
  // on ccp's memory of an earlier answer alone (the limit may be lifted early, and a route with
  // one target always tries it).
  const now = deps.clock.now();
  let best: Probe | undefined;
  let soonestLong: Probe | undefined;
  for (let i = 0; i < chain.length; i++) {
    const keys = deps.registry.provider(chain[i]!.provider).keys;
    const probe = probeOf(i, chain[i]!, keys, outcomes[i], now);
    if (!probe) continue;
    // A call with a fallback of its own (a local count) answers with it rather than wait.
    if (probe.wait > 0 && deps.probeAnnouncedWaits === false) continue;
    if (probe.wait <= MAX_WAIT_MS) {
      if (!best || probe.until < best.until) best = probe;
    } else if (!soonestLong || probe.until < soonestLong.until) soonestLong = probe;
  }
  const probeNow = deps.probeAnnouncedWaits !== false && counter.attempts === 0;
  if (!best && soonestLong && probeNow) best = { ...soonestLong, wait: 0 };
  if (!best) return undefined;
  const target = chain[best.index]!;
  if (best.wait > 0) {
    const name = nameOf({ provider: target.provider.id, model: target.model });
    deps.log?.debug(`${name}: waiting ${best.wait} ms for its cool-down`);
    await sleep(deps.clock, best.wait, signal);
  }
  const outcome = await deps.tryTarget(target, best.mode);
  if (answered(outcome)) return outcome;
  outcomes[best.index] = outcome;
  return undefined;
}

/**
 * The targets skipped because the client's own credential was lately refused there (its Claude
 * plan's limit) get one try each, in chain order, once nothing else answered: the memory of an
 * earlier answer never refuses a request on its own (the limit may have lifted early, and a route
 * whose only target is the plan always tries it). Updates `outcomes` in place.
 */
export async function retryHeldCredentials<R extends object>(
  chain: readonly DispatchTarget[],
  outcomes: TargetOutcome[],
  signal: AbortSignal,
  tryTarget: (target: DispatchTarget, mode: TryMode) => Promise<R | TargetOutcome>,
): Promise<R | undefined> {
  for (let i = 0; i < chain.length; i++) {
    const before = outcomes[i];
    // A hold this very request set (the plan refused another of its models moments ago) is no
    // memory to doubt: asking again now would only earn the same refusal.
    if (before?.kind !== "credential" || before.now) continue;
    signal.throwIfAborted();
    const outcome = await tryTarget(chain[i]!, { pastCredentialHold: true, forceBreaker: true });
    if (!("kind" in outcome)) return outcome;
    outcomes[i] = outcome;
  }
  return undefined;
}
