/** Builds one request's record as the request goes, and hands it to the observers once. */

import type { HeaderReader } from "../core/headers.ts";
import type { Logger } from "../core/log.ts";
import { loggedText } from "../core/logged_text.ts";
import type { RequestText } from "../core/request_text.ts";
import { newRequestId } from "../translate/anthropic/ids.ts";
import { sessionHeader } from "../routing/session_id.ts";
import type {
  AttemptRecord,
  RequestObserver,
  RequestOutcome,
  RequestRecord,
  Usage,
} from "./record.ts";
import { messageOf } from "../core/errors.ts";

/** What is known when a request arrives. */
export interface RecordStart {
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderReader;
  /** Named client that authenticated; `default` when there is none. */
  readonly client?: string;
}

/** How a request ended. */
export interface RecordEnd {
  readonly status: number;
  readonly outcome: RequestOutcome;
  readonly errorType?: string;
  readonly error?: string;
  readonly usage?: Usage;
  /** The answer's stop reason, as the client was told it. */
  readonly stopReason?: string;
}

/** Owns one {@link RequestRecord}: fields are filled in as they become known, then it ends once. */
export class Recorder {
  readonly record: RequestRecord;
  readonly #observers: readonly RequestObserver[];
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #startedPerf: number;
  #ended = false;
  #text?: RequestText;

  constructor(
    start: RecordStart,
    observers: readonly RequestObserver[],
    log: Logger,
    now: () => number = perfNow,
  ) {
    this.#observers = observers;
    this.#log = log;
    this.#now = now;
    this.#startedPerf = now();
    this.record = {
      id: newRequestId(),
      startedAt: Date.now(),
      method: start.method,
      path: start.path,
      session: sessionHeader(start.headers),
      client: start.client ?? "default",
      attempts: [],
      status: 0,
      outcome: "ok",
      usage: {},
      durationMs: 0,
    };
    // A caller's trace context: a span exported for this request continues the caller's trace.
    const traceparent = start.headers.get("traceparent");
    if (traceparent !== null) this.record.traceparent = traceparent;
    this.#notify("started");
  }

  /** The request's own text, left out of the error the record keeps (until the record ends). */
  leaveOut(text: RequestText): void {
    this.#text = text;
  }

  /** Milliseconds since the request arrived. */
  elapsed(): number {
    return this.#now() - this.#startedPerf;
  }

  /** Adds one upstream attempt; the last one also names the request's provider and model. */
  attempt(attempt: AttemptRecord): void {
    this.record.attempts.push(attempt);
    this.record.provider = attempt.provider;
    this.record.model = attempt.model;
    this.record.keyLabel = attempt.keyLabel;
  }

  /** Marks the last attempt as one refused and sent again with `max_tokens` fitted. */
  resent(): void {
    const attempts = this.record.attempts;
    const last = attempts.at(-1);
    if (last?.outcome === "failed") attempts[attempts.length - 1] = { ...last, outcome: "resent" };
  }

  /** Marks the first content the client receives (time to first token); later calls are ignored. */
  firstToken(): void {
    this.record.ttftMs ??= this.elapsed();
  }

  /** True once {@link end} ran. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Completes the record and hands it to every observer; only the first call counts. */
  end(end: RecordEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const r = this.record;
    r.status = end.status;
    r.outcome = end.outcome;
    if (end.errorType) r.errorType = end.errorType;
    // Logged and shown on the status page: what an upstream quoted of the request is left out.
    if (end.error) r.error = loggedText(end.error, this.#text);
    this.#text = undefined;
    if (end.usage) copyCounts(end.usage, r.usage);
    if (end.stopReason !== undefined) r.stopReason = end.stopReason;
    r.durationMs = this.elapsed();
    this.#notify("ended");
  }

  // An observer that throws must not take the answer (or the other observers) down with it.
  #notify(phase: "started" | "ended"): void {
    for (const observer of this.#observers) {
      try {
        if (phase === "started") observer.started?.(this.record);
        else observer.ended(this.record);
      } catch (error) {
        this.#log.error(
          `request observer failed: ${messageOf(error)}`,
        );
      }
    }
  }
}

const perfNow = () => performance.now();

/** Copies the counts of `usage` that are numbers into `into` (an undefined one changes nothing). */
function copyCounts(usage: Usage, into: Usage): void {
  for (const k in usage) {
    const v = usage[k as keyof Usage];
    if (typeof v === "number") into[k as keyof Usage] = v;
  }
}
