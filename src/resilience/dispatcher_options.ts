/** What a {@link Dispatcher} is built from: the transport's attempt and the guards it heeds. */

import type { Logger } from "../core/log.ts";
import type { RequestText } from "../core/request_text.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { ChainWindows } from "./chain_windows.ts";
import type { Failure } from "./classify.ts";
import type { Clock } from "./clock.ts";
import type { CredentialRef } from "./credential_holds.ts";
import type { KeyAffinity } from "./key_choice.ts";
import type { DispatchTarget, SpentBudget, TargetRef } from "./outcome.ts";
import type { ResilienceRegistry } from "./registry.ts";
import type { SharedBudgetCheck, SharedGuards } from "./shared_sync.ts";

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

/** Dependencies of a {@link Dispatcher}. */
export interface DispatcherOptions<S extends { readonly ok: true }> {
  readonly registry: ResilienceRegistry;
  readonly attempt: AttemptFn<S>;
  readonly clock?: Clock;
  readonly backoff?: Partial<BackoffOptions>;
  readonly log?: Logger;
  /** Frees a success that arrived after the client left; defaults to cancelling `result.response`. */
  readonly discard?: (result: S) => void;
  /** The budget a target is over and when it resets; such a target is skipped. */
  readonly overBudget?: (target: TargetRef) => SpentBudget | undefined;
  /** Guard state shared with other instances (Redis), when configured. */
  readonly shared?: SharedGuards;
  /** The shared budget counters a target's request must check (with `shared`). */
  readonly sharedBudgets?: (target: TargetRef) => readonly SharedBudgetCheck[];
  /**
   * False for a call that has a local fallback (count_tokens): it never probes past a cool-down
   * the upstream announced, nor waits for one to end, since its answer does not need the upstream.
   */
  readonly probeAnnouncedWaits?: boolean;
  /**
   * False for a side call (count_tokens): another endpoint, whose limits Anthropic counts apart
   * from Messages, and whose failure a local count covers. It heeds the target's guards but is
   * no verdict on them: it takes no half-open trial, moves no breaker, and its 429 cools no key.
   */
  readonly judgesTarget?: boolean;
  /**
   * At most this many re-tries of one target, below its provider's `max_retries`: 0 for a call
   * with a local fallback (count_tokens), whose client that fallback serves at once, where a
   * re-try of a failing upstream would only make it wait.
   */
  readonly maxRetries?: number;
  /** The client's own credential, which `auth: passthrough` targets are sent (held per credential). */
  readonly credential?: CredentialRef;
  /** The client session's own keys (session affinity), when it has any. */
  readonly affinity?: KeyAffinity;
  /** The chain's context windows: targets the prompt cannot fit are passed (Messages only). */
  readonly windows?: ChainWindows;
  /**
   * The request's own text: left out of the upstream errors that are logged, and that breakers
   * and key pools keep (`/health`, the status page, shared state).
   */
  readonly text?: RequestText;
  /**
   * False for the head of a route whose rest serves the request another way (web tools that
   * the head runs upstream and ccp runs for the rest): targets the guards skipped are left for
   * that rest rather than waited for or probed first.
   */
  readonly lastResort?: boolean;
}
