/**
 * Prometheus metrics from the request records: counters and histograms updated once per request
 * (never per chunk), rendered in the text exposition format on GET /metrics together with the
 * guards' state (keys, breakers, limiters) read at scrape time (guard_metrics.ts).
 */

import {
  type CountRecord,
  NO_PROVIDER,
  NO_ROUTE,
  type RequestObserver,
  type RequestRecord,
} from "../pipeline/record.ts";
import { type GuardSources, renderGuards } from "./guard_metrics.ts";
import { labels, LabelSets } from "./label_sets.ts";
import type { TraceCounts } from "./tracing/exporter.ts";

/** Request durations: from a quick local answer to a long agent turn. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** Time to first token: upstreams answer in tens of ms to tens of seconds. */
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/**
 * The upstream model label, bounded: a client may name any model (`provider/<model>`, a URL
 * prefix, a token suffix), and each new name would otherwise add series to every family for
 * as long as ccp runs. The first models seen keep their names; later new ones count as `other`.
 */
class ModelNames {
  static readonly MAX = 200;
  static readonly OTHER = "other";
  readonly #seen = new Set<string>();

  of(provider: string, model: string): string {
    const key = `${provider}\u0000${model}`;
    if (this.#seen.has(key)) return model;
    if (this.#seen.size >= ModelNames.MAX) return ModelNames.OTHER;
    this.#seen.add(key);
    return model;
  }
}

/** A counter family: label set (already rendered) -> value. */
class Counter {
  readonly values = new Map<string, number>();
  add(labelText: string, n = 1): void {
    this.values.set(labelText, (this.values.get(labelText) ?? 0) + n);
  }
}

/** A histogram family with fixed buckets. */
class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly buckets: readonly number[]) {}
  observe(labelText: string, value: number): void {
    let s = this.series.get(labelText);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(labelText, s);
    }
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
}

/** What the metrics read at scrape time besides the records. */
export interface MetricsSources extends GuardSources {
  readonly version: string;
  readonly startedAt: Date;
  /**
   * Usage records the ledger gave up on, by why (`refused`, `backlog`); absent without a ledger.
   */
  readonly ledgerDropped?: () => Readonly<Record<string, number>>;
  /** What became of the request spans sent to an OTLP collector; absent without an exporter. */
  readonly traces?: () => TraceCounts;
}

/** What the metrics are built with. */
export interface MetricsOptions {
  /**
   * A finished request's cost in USD, the number the usage ledger records (undefined when its
   * target has no known price); without it, `ccp_cost_usd_total` stays empty.
   */
  readonly costOf?: (record: Readonly<RequestRecord>) => number | undefined;
}

/** Collects request metrics; an observer of the pipeline. */
export class Metrics implements RequestObserver {
  readonly #costOf?: (record: Readonly<RequestRecord>) => number | undefined;
  readonly #requests = new Counter();
  readonly #cost = new Counter();
  readonly #counts = new Counter();
  readonly #tokens = new Counter();
  readonly #attempts = new Counter();
  readonly #streamErrors = new Counter();
  readonly #duration = new Histogram(DURATION_BUCKETS);
  readonly #ttft = new Histogram(TTFT_BUCKETS);
  #inflight = 0;
  readonly #requestLabels = new LabelSets(["route", "provider", "model", "status"]);
  readonly #tokenLabels = new LabelSets(["provider", "model", "kind"]);
  readonly #attemptLabels = new LabelSets(["provider", "model", "outcome"]);
  readonly #targetLabels = new LabelSets(["provider", "model"]);
  readonly #costLabels = new LabelSets(["provider", "model", "route"]);
  readonly #countLabels = new LabelSets(["provider", "model", "via"]);
  // Who on a team asked: the clients are the config's (and `default`), so the series stay few.
  readonly #clientRequests = new Counter();
  readonly #clientCost = new Counter();
  readonly #clientLabels = new LabelSets(["client", "status"]);
  readonly #clientCostLabels = new LabelSets(["client"]);
  readonly #models = new ModelNames();

  constructor(options: MetricsOptions = {}) {
    this.#costOf = options.costOf;
  }

  started(): void {
    this.#inflight++;
  }

  ended(r: Readonly<RequestRecord>): void {
    this.#inflight--;
    const provider = r.provider ?? NO_PROVIDER;
    // No provider served it (refused before routing, or answered by ccp): `none`, as the ledger says.
    const model = r.model === undefined ? NO_PROVIDER : this.#models.of(provider, r.model);
    this.#requests.add(
      this.#requestLabels.of(r.route ?? NO_ROUTE, provider, model, String(r.status)),
    );
    this.#addTokens(provider, model, "input", r.usage.inputTokens);
    this.#addTokens(provider, model, "output", r.usage.outputTokens);
    this.#addTokens(provider, model, "cache_read", r.usage.cacheReadInputTokens);
    this.#addTokens(provider, model, "cache_write", r.usage.cacheCreationInputTokens);
    // Priced by the served model's own name: past the bound its label is `other`, its price is not.
    const cost = this.#costOf?.(r);
    if (cost) this.#cost.add(this.#costLabels.of(provider, model, r.route ?? NO_ROUTE), cost);
    const client = r.client ?? "default";
    this.#clientRequests.add(this.#clientLabels.of(client, String(r.status)));
    if (cost) this.#clientCost.add(this.#clientCostLabels.of(client), cost);
    for (const a of r.attempts) {
      // A try refused for max_tokens and sent again fitted is no upstream failure.
      const outcome = a.outcome !== "failed"
        ? a.outcome
        : a.status !== undefined
        ? `status_${a.status}`
        : "no_answer";
      this.#attempts.add(
        this.#attemptLabels.of(a.provider, this.#models.of(a.provider, a.model), outcome),
      );
    }
    const where = this.#targetLabels.of(provider, model);
    // A stream that fails after its 200 went out keeps status 200 above; counted here too, or a
    // broken answer would look like a good one to anyone watching statuses.
    if (r.status < 400 && r.outcome === "error") this.#streamErrors.add(where);
    this.#duration.observe(where, r.durationMs / 1000);
    if (r.ttftMs !== undefined) this.#ttft.observe(where, r.ttftMs / 1000);
  }

  #addTokens(provider: string, model: string, kind: string, n: number | undefined): void {
    if (n) this.#tokens.add(this.#tokenLabels.of(provider, model, kind), n);
  }

  counted(c: Readonly<CountRecord>): void {
    const model = c.model === NO_PROVIDER ? NO_PROVIDER : this.#models.of(c.provider, c.model);
    this.#counts.add(this.#countLabels.of(c.provider, model, c.via));
  }

  /** Requests being answered right now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** The exposition text. */
  render(sources: MetricsSources): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const counter = (name: string, help: string, c: Counter) => {
      family(name, "counter", help);
      for (const [l, v] of c.values) out.push(`${name}${l} ${v}`);
    };
    const histogram = (name: string, help: string, h: Histogram) => {
      family(name, "histogram", help);
      for (const [l, s] of h.series) {
        const inner = l === "" ? "" : l.slice(1, -1) + ",";
        let cumulative = 0;
        h.buckets.forEach((b, i) => {
          cumulative += s.counts[i]!;
          out.push(`${name}_bucket{${inner}le="${b}"} ${cumulative}`);
        });
        out.push(`${name}_bucket{${inner}le="+Inf"} ${s.count}`);
        out.push(`${name}_sum${l} ${s.sum}`, `${name}_count${l} ${s.count}`);
      }
    };
    family("ccp_info", "gauge", "ccp's version.");
    out.push(`ccp_info${labels({ version: sources.version })} 1`);
    family("ccp_start_time_seconds", "gauge", "When this ccp started (Unix time).");
    out.push(`ccp_start_time_seconds ${sources.startedAt.getTime() / 1000}`);
    counter(
      "ccp_requests_total",
      "POST /v1/messages answered, by route, served target and HTTP status.",
      this.#requests,
    );
    counter("ccp_tokens_total", "Tokens by provider, upstream model and kind.", this.#tokens);
    counter(
      "ccp_cost_usd_total",
      "Cost in USD of requests (models with a known price), by served target and route.",
      this.#cost,
    );
    counter(
      "ccp_client_requests_total",
      "POST /v1/messages answered, by client of clients: (default: server.auth_token) and status.",
      this.#clientRequests,
    );
    counter(
      "ccp_client_cost_usd_total",
      "Cost in USD of each client's requests.",
      this.#clientCost,
    );
    counter(
      "ccp_count_tokens_total",
      "count_tokens answered, by the route's first target and who counted (upstream, local).",
      this.#counts,
    );
    counter(
      "ccp_upstream_attempts_total",
      "Upstream attempts by provider, model and outcome " +
        "(answered, resent, status_<code>, no_answer).",
      this.#attempts,
    );
    counter(
      "ccp_stream_errors_total",
      "Answers sent with HTTP 200 that then ended in an error, by served provider and model.",
      this.#streamErrors,
    );
    histogram(
      "ccp_request_duration_seconds",
      "Time from arrival to the end of the answer.",
      this.#duration,
    );
    histogram(
      "ccp_time_to_first_token_seconds",
      "Time from arrival to the first content sent.",
      this.#ttft,
    );
    family("ccp_inflight_requests", "gauge", "POST /v1/messages being answered.");
    out.push(`ccp_inflight_requests ${this.#inflight}`);
    if (sources.ledgerDropped) {
      family(
        "ccp_usage_records_dropped_total",
        "counter",
        "Usage records not written: refused by the store on their own, or past the backlog bound.",
      );
      for (const [reason, n] of Object.entries(sources.ledgerDropped())) {
        out.push(`ccp_usage_records_dropped_total${labels({ reason })} ${n}`);
      }
    }
    if (sources.traces) {
      const traces = sources.traces();
      family("ccp_trace_spans_exported_total", "counter", "Spans an OTLP collector took.");
      out.push(`ccp_trace_spans_exported_total ${traces.exported}`);
      family(
        "ccp_trace_spans_dropped_total",
        "counter",
        "Spans not delivered: the queue was full, the collector failed, or it rejected them.",
      );
      for (const [reason, n] of Object.entries(traces.dropped)) {
        out.push(`ccp_trace_spans_dropped_total${labels({ reason })} ${n}`);
      }
    }
    renderGuards(out, family, sources, (provider, model) => this.#models.of(provider, model));
    return out.join("\n") + "\n";
  }
}
