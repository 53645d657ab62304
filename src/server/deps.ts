/** What the server is built from; everything impure is injected so tests need no globals. */

import type { Config } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { RequestObserver } from "../pipeline/record.ts";
import type { DepartureWatcher, Peer } from "./departures.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import type { Transports } from "../upstream/transport.ts";
import type { Resolver } from "../webtools/fetch_page.ts";
import type { Ledger } from "../usage/ledger.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { Identity } from "./clients.ts";
import type { Presented } from "./auth.ts";
import type { FormerTokens } from "./former_tokens.ts";
import type { SharedMonitor } from "../shared/monitor.ts";
import type { SharedGuards } from "../resilience/shared_sync.ts";
import type { TraceSource } from "../observe/tracing/lazy_export.ts";
import type { ShortContexts } from "../observe/context_notes.ts";

/** Dependencies of {@link createApp}. */
export interface AppDeps {
  /** The current config (a function, so a reload swaps it without rebuilding the app). */
  config: () => Config;
  fetch: FetchLike;
  log: Logger;
  transports: Transports;
  /** Key pools, limiters and circuit breakers (one per process, kept across reloads). */
  registry: ResilienceRegistry;
  /** Counts a request's input tokens locally and offline. */
  countTokens: (body: Record<string, unknown>) => Promise<number>;
  /** Milliseconds clock for durations. */
  now: () => number;
  /** Aborted when ccp shuts down: open streams end with an error frame, unanswered requests 529. */
  shutdown?: AbortSignal;
  /**
   * Aborted when ccp starts to stop: the status page's live streams end at once (they are no
   * requests in flight, and would hold the stop for the whole grace period).
   */
  draining?: AbortSignal;
  /** Who else reads each request's record (the log line is always one). */
  observers?: readonly RequestObserver[];
  /** Sends request spans to an OTLP collector when the config says so (read by /metrics too). */
  traces?: TraceSource;
  /** When the server started (GET /v1/models `created_at`, GET /health uptime). */
  startedAt: Date;
  version: string;
  /** Resolves host names for `web_fetch`'s address checks (default: DNS). */
  resolveHost?: Resolver;
  /** The usage ledger (absent when it is off): records requests, answers /v1/ccp/usage, budgets. */
  ledger?: Ledger;
  /** Reachability of the engines shared with other instances, when any is configured. */
  shared?: SharedMonitor;
  /** Guard state shared with other instances (Redis), when configured. */
  sharedGuards?: SharedGuards;
  /** Notices clients that leave before their answer (shared with the connection guard). */
  departures?: DepartureWatcher;
  /**
   * Shown each config as it loads, by whoever reloads it; without it the gate follows the
   * configs its requests see (and misses a token that two reloads in a row took).
   */
  formerTokens?: FormerTokens;
  /** The models served on too little context, for the status line and the status page. */
  shortContexts?: ShortContexts;
}

/** Per-request values the routes read: the path without its routing prefix, and the prefix. */
export type AppEnv = {
  Bindings: {
    path: string;
    routePrefix?: string;
    peer?: Peer;
    identity?: Identity;
    /** The request's credentials, once read (see credentialsOf). */
    credentials?: readonly Presented[];
    /** Set by a handler whose every answer carries its request id (the Messages handler's). */
    answersWithId?: true;
  };
};

/** What the routes see: the dependencies plus the request pipeline built from them. */
export interface ServerDeps extends AppDeps {
  readonly pipeline: Pipeline;
  /** Notices clients that leave while their request waits for the upstream. */
  readonly departures: DepartureWatcher;
  /** Request metrics for GET /metrics and the status page. */
  readonly metrics: Metrics;
}
