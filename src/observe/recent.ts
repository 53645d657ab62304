/** The latest requests, for the status page: a small ring of summaries and live subscribers. */

import { firstEntries } from "../core/first_entries.ts";
import { failedAttempts, resentAttempts, roundsOf } from "../pipeline/log_observer.ts";
import { NO_ROUTE, type RequestObserver, type RequestRecord } from "../pipeline/record.ts";

/** What the status page shows of one request: no text, no key. */
export interface RequestSummary {
  readonly id: string;
  readonly at: number;
  /** A named client of `clients:` (none for the lone token's `default`). */
  readonly client?: string;
  readonly clientModel?: string;
  readonly route: string;
  readonly provider?: string;
  readonly model?: string;
  readonly status: number;
  readonly outcome: string;
  readonly stream: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly durationMs: number;
  readonly ttftMs?: number;
  /**
   * Every send to an upstream, each round's included; with `rounds`, only those beyond the rounds
   * were retries or failovers (as the log line's `rounds=` and `attempts=`).
   */
  readonly attempts: number;
  /** The model rounds of a request ccp ran web tools for, when more than one. */
  readonly rounds?: number;
  /** The spent budget that refused the request before any target was tried. */
  readonly budget?: string;
  /** The tries that failed before the one that served (or the last), as the log line names them. */
  readonly failed?: string;
  /** The tries refused for `max_tokens` and sent again fitted, as the log line names them. */
  readonly resent?: string;
  /** The targets passed over without a try, and why, as the log line names them. */
  readonly passed?: string;
  readonly error?: string;
}

/** How many requests the page can show. */
const KEEP = 50;

/**
 * The longest list of passed targets a summary keeps: a long chain passes dozens of targets on
 * each request, and the page holds and sends the list of each of its requests.
 */
const MAX_PASSED = 2048;

/** The passed targets, the first ones whole, the rest counted, as `x-ccp-passed` writes them. */
function passedText(passed: readonly string[]): string {
  return firstEntries(passed, MAX_PASSED, (n) => `, and ${n} more (named in the log line)`);
}

// Optional fields are set one by one: spreading conditional objects costs an object each, and
// this runs once per request.
function summaryOf(r: Readonly<RequestRecord>): RequestSummary {
  const summary: { -readonly [K in keyof RequestSummary]: RequestSummary[K] } = {
    id: r.id,
    at: r.startedAt,
    status: r.status,
    outcome: r.outcome,
    stream: r.stream === true,
    inputTokens: r.usage.inputTokens ?? 0,
    outputTokens: r.usage.outputTokens ?? 0,
    cacheReadTokens: r.usage.cacheReadInputTokens ?? 0,
    cacheWriteTokens: r.usage.cacheCreationInputTokens ?? 0,
    durationMs: Math.round(r.durationMs),
    attempts: r.attempts.length,
    route: r.route ?? NO_ROUTE,
  };
  if (r.client !== undefined && r.client !== "default") summary.client = r.client;
  if (r.clientModel !== undefined) summary.clientModel = r.clientModel;
  if (r.provider !== undefined) summary.provider = r.provider;
  if (r.model !== undefined) summary.model = r.model;
  if (r.ttftMs !== undefined) summary.ttftMs = Math.round(r.ttftMs);
  if (r.error !== undefined) summary.error = r.error.slice(0, 300);
  if (r.budget !== undefined) summary.budget = r.budget;
  if (r.passed?.length) summary.passed = passedText(r.passed);
  if (r.attempts.length > 1) {
    const rounds = roundsOf(r);
    if (rounds > 1) summary.rounds = rounds;
    const failed = failedAttempts(r);
    if (failed !== "") summary.failed = failed;
    const resent = resentAttempts(r).text;
    if (resent !== "") summary.resent = resent;
  }
  return summary;
}

/** Keeps the latest requests and tells subscribers about each new one and each start. */
export class RecentRequests implements RequestObserver {
  readonly #ring: RequestSummary[] = [];
  readonly #subscribers = new Set<(event: RecentEvent) => void>();

  started(): void {
    this.#emit({ kind: "started" });
  }

  ended(record: Readonly<RequestRecord>): void {
    const summary = summaryOf(record);
    this.#ring.push(summary);
    if (this.#ring.length > KEEP) this.#ring.shift();
    this.#emit({ kind: "ended", request: summary });
  }

  /** Newest first. */
  latest(): RequestSummary[] {
    return [...this.#ring].reverse();
  }

  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: RecentEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  #emit(event: RecentEvent): void {
    // Only while a status page is open does anything happen here.
    for (const listener of this.#subscribers) listener(event);
  }
}

/** What a live page is told. */
export type RecentEvent =
  | { readonly kind: "started" }
  | { readonly kind: "ended"; readonly request: RequestSummary };
