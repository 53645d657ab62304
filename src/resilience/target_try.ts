/**
 * What one try at one target holds, and how it gives it back. An answer outlives the dispatcher's
 * call (its stream is still being read), so what ends it is built here from plain values: it
 * keeps the slots and the breaker alive, not the dispatcher and the request behind it.
 */

import { loggedText } from "../core/logged_text.ts";
import { answerBroke, type BreakContext, type MidStreamError } from "./broken_answer.ts";
import type { RequestText } from "../core/request_text.ts";
import type { Admission, CircuitBreaker } from "./circuit_breaker.ts";
import type { CredentialHolds, CredentialRef } from "./credential_holds.ts";
import type { KeyLease, KeyPool } from "./key_pool.ts";
import { type Counter, keyId } from "./last_resort.ts";
import type { Release } from "./limiter.ts";
import type { DispatchTarget, TargetRef } from "./outcome.ts";
import { shareCircuit, type SharedGuards } from "./shared_sync.ts";

/**
 * The slot a try took in shared (cross-instance) state, given back once: when the try ends, or
 * for an answer when its stream ends.
 */
export class SharedSlot {
  readonly #shared?: SharedGuards;
  readonly #provider: string;
  #id: string | undefined;

  constructor(shared: SharedGuards | undefined, provider: string) {
    this.#shared = shared;
    this.#provider = provider;
  }

  took(id: string | undefined): void {
    this.#id = id;
  }

  free(): void {
    if (this.#id !== undefined) this.#shared?.release(this.#provider, this.#id);
    this.#id = undefined;
  }
}

/** A try the breaker admitted: what its attempts share, passed to each step explicitly. */
export interface TargetTry {
  readonly target: DispatchTarget;
  readonly ref: TargetRef;
  /** The client's own credential, for a passthrough target. */
  readonly credential?: CredentialRef;
  readonly keys: KeyPool;
  readonly breaker: CircuitBreaker;
  readonly admission: Admission & { readonly ok: true };
  readonly slot: SharedSlot;
  readonly shared?: SharedGuards;
  readonly signal: AbortSignal;
  /** Whether this request's outcome is a verdict on the target (a side call's is not). */
  readonly judges: boolean;
  /** The route has no other target to move to when this one fails. */
  readonly alone: boolean;
  /** What an answer that breaks mid-way reports to, besides the try's own guards. */
  readonly broken: BreakContext;
}

/** Counts an attempt and names the key it sends, for the last resort (which skips tried keys). */
export function countAttempt(counter: Counter, ref: TargetRef, key: KeyLease): void {
  counter.attempts++;
  counter.tried.add(keyId(ref.provider, key));
  counter.tried.add(keyId(ref.provider, key, ref.model));
}

/**
 * An answer vouches for its key and credential at once. The breaker hears only that the run of
 * failures to answer ended (streams in flight vouch for the target): the verdict on the answer
 * itself waits for its end (settleAnswer), since it may still die mid-way.
 */
export function noteAnswer(at: TargetTry, key: KeyLease, credentials: CredentialHolds): void {
  const { target, ref, keys, credential, breaker, judges } = at;
  // A key that answered past its set-aside or cool-down is back for every instance and after a
  // restart too, not only here. A side call's answer only shows the key is accepted: its
  // endpoint's limits are not Messages', so a cool-down stays.
  if (keys.succeeded(key, target.model, judges)) {
    at.shared?.cleared(ref.provider, key.index, target.model, judges);
  }
  if (credential) credentials.answered(ref.provider, credential, ref.model);
  if (judges) breaker.answered();
}

/**
 * What ends an answer: it gives back the limiter slot and the shared slot and, where the request
 * judges the target, tells the breaker how the answer ended (and, for an error the upstream
 * reported mid-way, the key pool too: see broken_answer.ts). `sentAt` is the breaker's count of
 * openings when the attempt left, so a success does not close a circuit that opened since.
 * `text` is released by the pipeline once the answer opens: holding it here holds no prompt.
 */
export function settleAnswer(
  at: TargetTry,
  key: KeyLease,
  release: Release,
  sentAt: number,
  text: RequestText | undefined,
): (failure?: string, reported?: MidStreamError) => void {
  const { breaker, admission, signal, shared, ref, slot, judges } = at;
  return (failure?: string, reported?: MidStreamError) => {
    release();
    slot.free();
    if (!judges) return;
    const wasOpen = breaker.state !== "closed";
    if (signal.aborted) breaker.released(admission.trial);
    else if (failure !== undefined) {
      answerBroke(at, key, loggedText(failure, text), reported, at.broken);
    } else breaker.succeeded(sentAt, admission.trial, admission.beside);
    shareCircuit(shared, ref, breaker, wasOpen);
  };
}
