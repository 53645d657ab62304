/** What the pipeline is built from and called with: its dependencies, the calls, the answers. */

import type { HeaderReader } from "../core/headers.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import type { Resolution } from "../routing/resolve.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import type { Answer, Transports } from "../upstream/transport.ts";
import type { Resolver } from "../webtools/fetch_page.ts";
import type { RequestObserver } from "./record.ts";
import type { Recorder } from "./recorder.ts";
import type { SpentBudget } from "../resilience/outcome.ts";
import type { SharedBudgetCheck, SharedGuards } from "../resilience/shared_sync.ts";

/** What the pipeline is built from; everything impure is injected. */
export interface PipelineDeps {
  /** The current config (a reload swaps what it returns). */
  readonly config: () => Config;
  readonly fetch: FetchLike;
  readonly log: Logger;
  readonly transports: Transports;
  readonly registry: ResilienceRegistry;
  /** Counts a request's input tokens locally and offline. */
  readonly countTokens: (body: Record<string, unknown>) => Promise<number>;
  readonly observers: readonly RequestObserver[];
  /**
   * Aborted when ccp shuts down: streams still open end with an error frame, requests whose
   * answer has not begun with a 529.
   */
  readonly shutdown?: AbortSignal;
  /** Resolves host names for `web_fetch`'s address checks (default: DNS). */
  readonly resolveHost?: Resolver;
  /** Budgets: when a client's request to a target is over one, until when (epoch ms). */
  readonly budgets?: BudgetGate;
  /** Guard state shared with other instances (Redis), when configured. */
  readonly sharedGuards?: SharedGuards;
}

/** What the pipeline asks of the budgets. */
export interface BudgetGate {
  spentBudget(client: string, provider: string, model: string): SpentBudget | undefined;
  /** The shared counters of the budgets a request falls under (several instances). */
  sharedChecks?(client: string, provider: string, model: string): SharedBudgetCheck[];
}

/** A count_tokens request, parsed and resolved. */
export interface CountCall {
  readonly body: Record<string, unknown>;
  readonly resolution: Resolution;
  /** The client's headers (forwarded where the protocol allows). */
  readonly headers: HeaderReader;
  /** Aborts when the client leaves. */
  readonly signal: AbortSignal;
  /** The local count of `body` already made for routing, used instead of counting again. */
  readonly inputTokens?: number;
}

/** A Messages request, parsed and resolved, with the record it fills in. */
export interface MessagesCall extends CountCall {
  readonly body: MessagesRequest;
  readonly recorder: Recorder;
}

/** A token count and who made it: `local`, or the `provider/model` that counted. */
export interface Count {
  readonly inputTokens: number;
  readonly via: string;
}

/** An answer ready to send, and the headers that say who served it. */
export interface Delivery {
  readonly answer: Answer;
  /** The answer's headers: a fresh object, which the handler completes in place. */
  readonly headers: Record<string, string>;
}
