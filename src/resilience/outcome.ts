/** How one target of a route ended for a request, as the dispatcher records it. */

import type { ProviderConfig } from "../config/types.ts";
import type { MidStreamError } from "./broken_answer.ts";
import type { Classification, Failure } from "./classify.ts";
import type { KeysUnavailable } from "./key_pool.ts";
import type { PassedNote } from "./passed_over.ts";

/** One step of a route: the provider's config and the upstream model name. */
export interface DispatchTarget {
  readonly provider: ProviderConfig;
  readonly model: string;
}

/** Provider id and upstream model of one attempt. */
export interface TargetRef {
  readonly provider: string;
  readonly model: string;
}

/** A target that answered; call `done` when its answer ends. */
export interface Dispatched<S> {
  readonly result: S;
  readonly target: DispatchTarget;
  /** Safe to log: `key 2 (...abcd)` or `no key`. */
  readonly keyLabel: string;
  /** Upstream attempts this request made, this one included. */
  readonly attempts: number;
  /** Earlier targets of the chain it was not sent to, and why (passed_over.ts). */
  readonly passed?: readonly string[];
  /** The first of them, in brief (passed_over.ts). */
  readonly passedNote?: PassedNote;
  /**
   * Call when the answer has ended: frees the limiter slot and gives the breaker its verdict
   * (pass a reason when the answer broke mid-way, and the error the upstream reported, if it
   * did). Idempotent.
   */
  done(failure?: string, reported?: MidStreamError): void;
}

/** The handle of an answer: `settle` runs once, at the first `done`. */
export function answerHandle<S>(
  result: S,
  target: DispatchTarget,
  keyLabel: string,
  attempts: number,
  settle: (failure?: string, reported?: MidStreamError) => void,
): Dispatched<S> {
  let finished = false;
  return {
    result,
    target,
    keyLabel,
    attempts,
    done: (failure?: string, reported?: MidStreamError) => {
      if (finished) return;
      finished = true;
      settle(failure, reported);
    },
  };
}

/** The ids of a target, as outcomes and logs name it. */
export function refOf(target: DispatchTarget): TargetRef {
  return { provider: target.provider.id, model: target.model };
}

/** A budget that keeps a request back: its label (`client alice`, `p/m`) and when it resets. */
export interface SpentBudget {
  readonly until: number;
  readonly budget: string;
}

/** Why a target did not answer: skipped (cooling, blocked, open, busy) or failed. */
export type TargetOutcome =
  | { readonly kind: "keys"; readonly target: TargetRef; readonly keys: KeysUnavailable }
  | {
    readonly kind: "open";
    readonly target: TargetRef;
    readonly until: number;
    readonly lastError?: string;
  }
  | {
    readonly kind: "busy";
    readonly target: TargetRef;
    readonly message: string;
    /** When a place frees (epoch ms), when known: a shared rate window says so. */
    readonly until?: number;
  }
  /**
   * Skipped: the client's own credential (`auth: passthrough`) was lately refused here, with
   * `status`, until `until` (epoch ms).
   */
  | {
    readonly kind: "credential";
    readonly target: TargetRef;
    readonly until: number;
    readonly status: number;
    readonly hinted: boolean;
    /** Set by a refusal earlier in this same request, not remembered from an earlier one. */
    readonly now?: boolean;
  }
  /**
   * A budget it falls under is spent until `until` (epoch ms), when the budget's period resets;
   * `budget` names it (`client alice`, `p/m`) when known.
   */
  | {
    readonly kind: "budget";
    readonly target: TargetRef;
    readonly until: number;
    readonly budget?: string;
  }
  /**
   * Passed without being sent: the prompt cannot fit its declared context window, and a later
   * target may hold it (`why` says so, for the log and the client's headers).
   */
  | { readonly kind: "window"; readonly target: TargetRef; readonly why: string }
  | {
    readonly kind: "failed";
    readonly target: TargetRef;
    readonly failure: Failure;
    readonly verdict: Classification;
    /** One line, key-free: `upstream answered 503: overloaded`. */
    readonly detail: string;
  };

/** `provider "groq" model "llama-3.3-70b"`, the way every message names a target. */
export function nameOf(target: TargetRef): string {
  return `provider "${target.provider}" model "${target.model}"`;
}
