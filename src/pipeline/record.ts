/**
 * The one record every POST /v1/messages produces, and the interface its observers implement.
 * The request log line is the first observer; the usage ledger, /metrics and the status page
 * read the same record, so what they show cannot drift apart. It never holds prompt or answer
 * text, and never a key (only the pool's label, e.g. `key 2 (...abcd)`).
 */

import type { Price } from "../config/types.ts";
import type { PassedNote } from "../resilience/passed_over.ts";

/**
 * The route of a request refused before any rule chose one (an unreadable or invalid body): the
 * `x-ccp-route` header, the log line, the ledger, /metrics and the status page all say this.
 */
export const NO_ROUTE = "none";

/**
 * The provider (and upstream model) of a request no provider served (refused before routing, by
 * the client rules, or answered by ccp itself): the ledger, /metrics and the status page say this.
 */
export const NO_PROVIDER = "none";

/** Token counts as Anthropic reports them (`usage` of a Message). */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  /** What the answer cost in USD as its upstream reported it, when it did (see the catalog). */
  costUsd?: number;
}

/** One try at one target with one key. */
export interface AttemptRecord {
  readonly provider: string;
  /** Upstream model name. */
  readonly model: string;
  /** Safe to show: `key 2 (...abcd)` or `no key`. */
  readonly keyLabel: string;
  /** Upstream HTTP status, when one arrived. */
  readonly status?: number;
  /**
   * `answered`: this attempt's answer went to the client; `failed`: moved on or gave up;
   * `resent`: a local server refused its `max_tokens` over its window, and the same target was
   * sent the request again with `max_tokens` fitted (ccp's own correction, not a failure).
   */
  readonly outcome: "answered" | "failed" | "resent";
  /** Why it failed, already scrubbed of keys. */
  readonly reason?: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The attempt's (its last try's) span, as its upstream was told it (while tracing is on). */
  readonly spanId?: string;
  /** Tries sent again within the attempt, changed after a refusal (while tracing is on). */
  readonly resent?: readonly ResentTry[];
}

/** One try of an attempt that was refused and sent again, changed: a client span of its own. */
export interface ResentTry {
  readonly spanId: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The refusal's HTTP status. */
  readonly status?: number;
  /** What was refused, and what the next try changed. */
  readonly reason: string;
}

/** How a request ended. */
export type RequestOutcome = "ok" | "error" | "cancelled";

/** Everything known about one request once it has ended. */
export interface RequestRecord {
  /** Unique per request (`req_...`); also sent to the client as `request-id`. */
  readonly id: string;
  /** Epoch milliseconds when the request arrived. */
  readonly startedAt: number;
  readonly method: string;
  /** Path without a routing prefix. */
  readonly path: string;
  /** Claude Code's `x-claude-code-session-id`, when sent. */
  session?: string;
  /** Named client that authenticated (`default` for the server token or no token). */
  client?: string;
  /** The model name the client sent. */
  clientModel?: string;
  /** The rule or route that decided: `default`, `opus`, `alias:<name>`, `explicit`, ... */
  route?: string;
  /** Which kind of rule chose the route: `tier`, `scenario`, `alias`, `provider`, `default`, ... */
  rule?: string;
  /** The caller's W3C `traceparent` header, when it sent one (its trace continues in ccp's). */
  traceparent?: string;
  /** The request's trace, decided before its first attempt while tracing is on. */
  trace?: { readonly traceId: string; readonly parentSpanId?: string; readonly sampled: boolean };
  stream?: boolean;
  /** Provider id and upstream model that answered (or the last one tried, on failure). */
  provider?: string;
  model?: string;
  keyLabel?: string;
  /**
   * What `model` at `provider` costs in the config the request started with: a reload while it
   * streams (one that drops the provider, or changes its price) does not change what it cost.
   */
  price?: Price;
  /** `price` is the user's own setting, which wins over a cost the answer reports. */
  ownPrice?: true;
  /**
   * Whether `provider` said in each answer what it cost, in the config the request started with
   * (absent until a target was tried): a reload that drops it does not change what it cost.
   */
  reportsCost?: boolean;
  readonly attempts: AttemptRecord[];
  /**
   * Targets passed over, and why: for their context window (`local/qwen3 (refused as too long)`),
   * or not sent for a key cooling down, an open circuit, a spent budget (`claude/m (not sent: ...)`).
   */
  passed?: string[];
  /** The first target not sent to, in brief, for the ledger (the status line reads it). */
  passedNote?: PassedNote;
  /** HTTP status sent to the client (200 for a stream that later failed mid-way). */
  status: number;
  outcome: RequestOutcome;
  /**
   * The spent budget that refused the request before any target was tried (`client alice`,
   * `p/m`); `provider` and `model` then name the last target it held back.
   */
  budget?: string;
  /** Anthropic error type when the request or its stream ended in an error. */
  errorType?: string;
  /** Short, key-free description of what went wrong (or why the client left). */
  error?: string;
  readonly usage: Usage;
  /** The answer's `stop_reason` (`end_turn`, `tool_use`, `max_tokens`, ...), once it gave one. */
  stopReason?: string;
  durationMs: number;
  /**
   * Milliseconds from arrival to the first answer content (text, thinking, tool input) sent to
   * the client; streamed answers only.
   */
  ttftMs?: number;
}

/**
 * One count_tokens answer. It has no request record (no model answers it), yet an upstream count
 * spends the provider's keys and limits, so the observers that count traffic hear of it.
 */
export interface CountRecord {
  /** The route's first target: the one an upstream count goes to (`none` without one). */
  readonly provider: string;
  /** Upstream model name. */
  readonly model: string;
  /** `upstream`: the target counted; `local`: ccp counted (no count endpoint, or it failed). */
  readonly via: "upstream" | "local";
}

/** Receives each request's record once, after its answer ended; must not throw or block. */
export interface RequestObserver {
  /** Called while a request starts (for in-flight gauges); optional. */
  started?(record: Readonly<RequestRecord>): void;
  ended(record: Readonly<RequestRecord>): void;
  /** Called once per count_tokens answer; optional. */
  counted?(record: Readonly<CountRecord>): void;
}
