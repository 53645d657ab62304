/**
 * Request traces, kept off the request's path: each finished request's spans go into a bounded
 * queue (past its bound they are dropped and counted), and one sender posts them in batches when
 * a batch fills or a timer fires, so a slow or dead collector costs a request nothing. The config
 * is read per request, so a reload turns tracing on, off or to another collector; spans queued
 * for the old one still go there.
 */

import type { Config, TracingConfig } from "../../config/types.ts";
import type { Logger } from "../../core/log.ts";
import { shownAddress } from "../../core/secrets.ts";
import type { RequestObserver, RequestRecord } from "../../pipeline/record.ts";
import { requestCost } from "../../usage/prices.ts";
import { type OtlpSpan, requestSpans } from "./spans.ts";
import { sendBatch, type SendOptions } from "./send.ts";
import { traceStart } from "./trace_context.ts";

/** The exporter's bounds and pace; OpenTelemetry's batch processor defaults unless a test says. */
export interface ExportLimits {
  /** Spans waiting at most; more are dropped. */
  readonly maxQueue: number;
  /** Spans per export request. */
  readonly maxBatch: number;
  /** How long a span waits for its batch to fill. */
  readonly delayMs: number;
  /** How long one batch's export may take, its retries included (0: no bound). */
  readonly exportTimeoutMs: number;
  readonly tries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How long a stop waits for the last spans to reach the collector. */
  readonly closeMs: number;
}

const DEFAULT_LIMITS: ExportLimits = {
  maxQueue: 2048,
  maxBatch: 512,
  delayMs: 5_000,
  exportTimeoutMs: 30_000,
  tries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  // Within the 10 s a container's stop waits, after the requests' own grace.
  closeMs: 1_500,
};

/** Spans counted by what became of them, for /metrics. */
export interface TraceCounts {
  readonly exported: number;
  /** `queue_full`, `export_failed` (the collector never took them), `rejected` (it refused them). */
  readonly dropped: Readonly<Record<"queue_full" | "export_failed" | "rejected", number>>;
}

/** Spans bound for one collector, with the settings they were made under. */
interface Batch {
  readonly tracing: TracingConfig;
  readonly spans: OtlpSpan[];
}

/** Turns finished requests into spans and sends them; an observer of the pipeline. */
export class TraceExport implements RequestObserver {
  readonly #config: () => Config;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  // The limits the exporter was made with, and those with the config's batch settings over them.
  readonly #defaults: ExportLimits;
  #limits: ExportLimits;
  readonly #stop = new AbortController();
  #tracing: TracingConfig | undefined;
  #tracingKey = "";
  /** Spans for the current collector, not yet in a batch. */
  #queue: OtlpSpan[] = [];
  readonly #ready: Batch[] = [];
  #waiting = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;
  #problem: string | undefined;
  #full = false;
  #exported = 0;
  readonly #dropped = { queue_full: 0, export_failed: 0, rejected: 0 };

  constructor(options: {
    config: () => Config;
    log: Logger;
    fetch?: typeof fetch;
    limits?: Partial<ExportLimits>;
  }) {
    this.#config = options.config;
    this.#log = options.log;
    this.#fetch = options.fetch ?? fetch;
    this.#defaults = { ...DEFAULT_LIMITS, ...options.limits };
    this.#limits = this.#defaults;
  }

  ended(record: Readonly<RequestRecord>): void {
    const config = this.#config();
    if (config.tracing !== this.#tracing) this.#use(config.tracing);
    const tracing = this.#tracing;
    if (!tracing || this.#closed) return;
    // Decided when the request was sent, when tracing was on then: its upstreams were told it.
    const start = record.trace ?? traceStart(record.traceparent, tracing);
    if (!start.sampled) return;
    const spans = requestSpans(record, start, {
      provider: (id) => config.providers[id],
      costUsd: requestCost(config, record),
    });
    if (this.#waiting + spans.length > this.#limits.maxQueue) {
      this.#dropped.queue_full += spans.length;
      if (!this.#full) {
        this.#full = true;
        this.#log.warn(
          `Trace queue full (${this.#limits.maxQueue} spans waiting for the collector): new ` +
            "spans are dropped and counted in ccp_trace_spans_dropped_total until it drains",
        );
      }
      return;
    }
    for (const span of spans) this.#queue.push(span);
    this.#waiting += spans.length;
    if (this.#queue.length >= this.#limits.maxBatch) this.#flush();
    else this.#timer ??= this.#arm();
  }

  /** What became of the spans so far. */
  counts(): TraceCounts {
    return { exported: this.#exported, dropped: { ...this.#dropped } };
  }

  /**
   * Sends what is queued and stops: waits for the collector up to the stop's bound, then drops
   * what is left (counted). Requests that end later make no spans.
   */
  async close(): Promise<void> {
    if (this.#closed) return await this.#sending;
    this.#closed = true;
    // A reload that turned tracing off since the last request: its spans go to their collector.
    this.#flush();
    const bound = setTimeout(() => this.#stop.abort(), this.#limits.closeMs);
    try {
      while (this.#sending) await this.#sending;
    } finally {
      clearTimeout(bound);
      this.#stop.abort();
    }
  }

  /** A reloaded config's settings: the same ones keep the queue; others flush it to the old. */
  #use(next: TracingConfig | undefined): void {
    const key = next ? JSON.stringify(next) : "";
    if (key !== this.#tracingKey) {
      this.#flush();
      this.#tracingKey = key;
      this.#problem = undefined;
    }
    this.#tracing = next;
    this.#limits = next ? { ...this.#defaults, ...next.batch } : this.#defaults;
  }

  #arm(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#limits.delayMs);
    // A pending export never keeps ccp running (`ccp code` exits with Claude Code).
    Deno.unrefTimer(Number(timer));
    return timer;
  }

  /** Moves the queue into batches and starts the sender. */
  #flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const tracing = this.#tracing;
    if (tracing && this.#queue.length > 0) {
      const spans = this.#queue;
      this.#queue = [];
      for (let at = 0; at < spans.length; at += this.#limits.maxBatch) {
        this.#ready.push({ tracing, spans: spans.slice(at, at + this.#limits.maxBatch) });
      }
    }
    this.#sending ??= this.#send().finally(() => (this.#sending = undefined));
  }

  /** Sends the batches one at a time, oldest first. */
  async #send(): Promise<void> {
    // A task of its own: encoding a batch is never done on the stack of a request's end.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const options: SendOptions = {
      fetch: this.#fetch,
      stop: this.#stop.signal,
      tries: this.#limits.tries,
      baseDelayMs: this.#limits.baseDelayMs,
      maxDelayMs: this.#limits.maxDelayMs,
      exportTimeoutMs: this.#limits.exportTimeoutMs,
    };
    for (let batch = this.#ready.shift(); batch; batch = this.#ready.shift()) {
      const delivery = await sendBatch(batch.spans, batch.tracing, options);
      this.#waiting -= batch.spans.length;
      this.#exported += delivery.accepted;
      if (delivery.failed) this.#dropped.export_failed += delivery.lost;
      else this.#dropped.rejected += delivery.lost;
      if (this.#waiting < this.#limits.maxQueue / 2) this.#full = false;
      this.#report(batch.tracing, delivery.problem);
    }
  }

  /** Logs a collector's trouble once per change (not per batch), and its recovery once. */
  #report(tracing: TracingConfig, problem: string | undefined): void {
    if (problem === this.#problem) return;
    const where = shownAddress(tracing.url);
    if (problem !== undefined) {
      this.#log.warn(
        `Traces not delivered to the OTLP collector at ${where}: ${problem}; the spans are ` +
          "dropped and counted in ccp_trace_spans_dropped_total (requests are not affected)",
      );
    } else if (this.#problem !== undefined) {
      this.#log.info(`Traces reach the OTLP collector at ${where} again`);
    }
    this.#problem = problem;
  }
}
