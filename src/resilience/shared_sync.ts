/**
 * Guard state beyond this process, as the dispatcher sees it: before an attempt at a target it
 * takes in what other instances (or an earlier run) learned, checks shared budgets and takes a
 * place in shared limits -- waiting in line while they are full -- and afterwards it tells what it
 * learned. The stores behind the interface are in src/shared.
 */

import type { SharedAffinity } from "./shared_affinity.ts";
import type { ProviderConfig } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { CircuitBreaker } from "./circuit_breaker.ts";
import { type Clock, sleep } from "./clock.ts";
import type { KeyPool } from "./key_pool.ts";
import type { Limiter } from "./limiter.ts";
import { serverTag } from "./server_key.ts";
import { nameOf, type SpentBudget, type TargetOutcome, type TargetRef } from "./outcome.ts";

/** One budget a request falls under, as the shared counters check it. */
export interface SharedBudgetCheck {
  /** The counter's name: the budget and its current period. */
  readonly key: string;
  /** The counter's value (tokens or nano-USD) from which the budget routes away. */
  readonly limit: number;
  /** Takes in the counter's current value. */
  adopt(units: number): void;
}

/** What one attempt tells shared guard state, and what it may adopt into. */
export interface SharedSyncInput {
  readonly provider: string;
  readonly model: string;
  /**
   * A tag of the provider's server (server_key.ts): a store shared by instances keeps what they
   * learn of a server and key under it, not under the name each instance's config gives it.
   */
  readonly server?: string;
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
  /** Session affinity shared with the other instances, where the store keeps it (Redis). */
  readonly affinity?: SharedAffinity;
  /** Adopts what others learned for this target; takes a shared rate-window place (waitMs 0). */
  sync(input: SharedSyncInput): Promise<SharedSyncResult>;
  /** Gives back a concurrency slot `sync` took. */
  release(provider: string, slot: string): void;
  /** A key cooling down for `model` after a 429; `reason`: what the upstream said (key-free). */
  cooling(
    provider: string,
    index: number,
    model: string,
    until: number,
    hinted: boolean,
    reason?: string,
  ): void;
  /** A key set aside after 401/402, or for `model` only after a 403. */
  setAside(
    provider: string,
    index: number,
    until: number,
    status: number,
    reason: string,
    model?: string,
  ): void;
  circuit(provider: string, model: string, until: number, lastError?: string): void;
  /**
   * A key answered again before its guards ended: its set-aside is over and, given the `model` it
   * answered for, so are its set-aside for that model and (unless `limits` is false) its
   * cool-downs for that model and for the whole key. Without this, the next sync (or restart)
   * would take them back in.
   */
  cleared(provider: string, index: number, model?: string, limits?: boolean): void;
}

/** How often a request waiting for a shared concurrency slot asks again. */
const SLOT_POLL_MS = 50;
/** A sync's answer when a budget the request falls under is spent. */
const BUDGET_SPENT = -2;
/** How long a request waits in line for a shared concurrency slot at most. */
const SLOT_PATIENCE_MS = 60_000;

/** One target's attempt, as {@link syncShared} needs it. */
export interface SharedAttempt {
  readonly target: TargetRef;
  readonly provider: ProviderConfig;
  readonly keys: KeyPool;
  readonly limiter: Limiter;
  readonly breaker: CircuitBreaker;
  readonly budgets: readonly SharedBudgetCheck[];
  /** The local budget verdict, which the shared counters have just fed. */
  readonly overBudget?: (target: TargetRef) => SpentBudget | undefined;
  readonly clock: Clock;
  readonly log?: Logger;
  readonly signal: AbortSignal;
}

/**
 * The one round trip to shared state before an attempt; waits in line while a shared limit is
 * full -- up to one rate window, or a minute for a slot -- then reports the target busy. A store
 * that does not answer changes nothing: this instance's own guards decide.
 */
export async function syncShared(
  shared: SharedGuards,
  attempt: SharedAttempt,
): Promise<TargetOutcome | { readonly slot?: string }> {
  const { target: ref, provider, budgets, clock } = attempt;
  const rate = provider.rateLimit;
  const maxConcurrency = provider.maxConcurrency;
  const patience = Math.max(rate?.windowMs ?? 0, SLOT_PATIENCE_MS);
  let waited = 0;
  for (;;) {
    let reply: SharedSyncResult;
    try {
      reply = await shared.sync({
        provider: ref.provider,
        server: serverTag(provider),
        model: ref.model,
        apiKeys: provider.apiKeys,
        keys: attempt.keys,
        breaker: attempt.breaker,
        limiter: attempt.limiter,
        ...(rate ? { rate } : {}),
        ...(maxConcurrency ? { maxConcurrency } : {}),
        ...(budgets.length > 0 ? { budgets } : {}),
      });
    } catch {
      return {};
    }
    if (reply.waitMs === 0) return reply.slot !== undefined ? { slot: reply.slot } : {};
    if (reply.waitMs === BUDGET_SPENT) {
      // The counters were adopted: the local tally now says until when.
      const spent = attempt.overBudget?.(ref);
      attempt.log?.debug(`${nameOf(ref)}: skipped, budget spent across instances`);
      return spent
        ? { kind: "budget", target: ref, until: spent.until, budget: spent.budget }
        : { kind: "budget", target: ref, until: clock.now() + 60_000 };
    }
    const wait = reply.waitMs < 0 ? SLOT_POLL_MS : reply.waitMs;
    if (waited + wait > patience) {
      const limits = [
        ...(maxConcurrency ? [`max_concurrency ${maxConcurrency}`] : []),
        ...(rate ? [`rate_limit ${rate.requests} per ${rate.windowMs} ms`] : []),
      ].join(", ");
      return {
        kind: "busy",
        target: ref,
        message: `${nameOf(ref)}: ${limits} reached across every ccp instance`,
        // A full window says when its oldest place leaves; a taken slot cannot say.
        ...(reply.waitMs > 0 ? { until: clock.now() + reply.waitMs } : {}),
      };
    }
    await sleep(clock, wait, attempt.signal);
    waited += wait;
  }
}

/** Tells shared state when a target's circuit opens, and when it closes again. */
export function shareCircuit(
  shared: SharedGuards | undefined,
  ref: TargetRef,
  breaker: CircuitBreaker,
  wasOpen: boolean,
): void {
  if (!shared) return;
  const snap = breaker.snapshot();
  if (snap.state === "open" && snap.openUntil !== undefined) {
    shared.circuit(ref.provider, ref.model, snap.openUntil, snap.lastError);
  } else if (wasOpen && snap.state === "closed") shared.circuit(ref.provider, ref.model, 0);
}
