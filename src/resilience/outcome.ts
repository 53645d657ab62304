/** How one target of a route ended for a request, as the dispatcher records it. */

import type { Classification, Failure } from "./classify.ts";
import type { KeysUnavailable } from "./key_pool.ts";

/** Provider id and upstream model of one attempt. */
export interface TargetRef {
  readonly provider: string;
  readonly model: string;
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
  /** Its budget is spent until `until` (epoch ms), when the budget's period resets. */
  | { readonly kind: "budget"; readonly target: TargetRef; readonly until: number }
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
