/** What the status page shows, gathered in one JSON document (never a key, never a prompt). */

import { type ShortContext, shortContextNote, type ShortContexts } from "../context_notes.ts";
import type { Config } from "../../config/types.ts";
import type { ResilienceSnapshot } from "../../resilience/registry.ts";
import type { Ledger } from "../../usage/ledger.ts";
import type { SeriesPoint } from "../../usage/store.ts";
import type { RecentRequests, RequestSummary } from "../recent.ts";
import { keyStateFor, targetKeys } from "../target_keys.ts";
import { appliesTo, type BudgetState } from "../../usage/budgets.ts";
import { messageOf } from "../../core/errors.ts";

/** Health of one target of a route. */
export interface TargetHealth {
  readonly target: string;
  /** closed | open | half_open */
  readonly breaker: string;
  readonly keys: { readonly ready: number; readonly cooling: number; readonly blocked: number };
  /** Why keys, the breaker or a budget hold it back, key-free. */
  readonly reasons: readonly string[];
  /** How requests spread: `weight 3`, `keys round robin` (absent: in order, keys fill first). */
  readonly spread?: string;
  /** A budget on it is spent (to its `route_away_at`): requests skip it until the reset. */
  readonly overBudget: boolean;
}

/** The whole page's data. */
export interface UiState {
  readonly version: string;
  readonly now: number;
  readonly inflight: number;
  readonly routes: readonly { readonly name: string; readonly targets: readonly TargetHealth[] }[];
  readonly latest: readonly RequestSummary[];
  /**
   * The served models on too little context, while they are (`ollama/qwen3: context 4096, too
   * small (see ccp check)`): they answer off-topic without an error.
   */
  readonly contextWarnings?: readonly string[];
  /** Why there is no usage while the ledger is on (its database fails or does not answer). */
  readonly usageUnavailable?: string;
  /** Absent when the ledger is off or does not answer. */
  readonly usage?: {
    readonly hourly: readonly ChartPoint[];
    readonly daily: readonly ChartPoint[];
    readonly byProvider: readonly { provider: string; requests: number; errors: number }[];
    readonly budgets: readonly {
      label: string;
      spent: number;
      limit: number;
      unit: string;
      /** Spend has reached `route_away_at` (which may be below 100 %): requests skip it. */
      exhausted: boolean;
      /** A client's own budget: once spent, that client's requests are refused, not moved. */
      client?: string;
    }[];
  };
}

/** One bar of a chart. */
export interface ChartPoint {
  readonly start: number;
  readonly tokens: number;
  /**
   * Null when the bucket's requests all went to models without a price (a local server, a
   * flat-fee plan, a model the table does not know there): no cost is known, which the page
   * shows as none, as `ccp usage` does, rather than as `$0`, which is what a free API costs.
   */
  readonly costUsd: number | null;
  readonly requests: number;
  readonly errors: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

// "key 2 (...abcd)" -> "key 2": the page never shows any part of a key.
function keyName(label: string): string {
  return label.replace(/\s*\(.*\)$/, "");
}

// When a resting key is asked again: the page tells whoever watches it when the target returns.
function untilText(until: number | undefined): string {
  if (until === undefined || !Number.isFinite(until)) return "";
  return ` until ${new Date(until).toISOString().replace(/\.\d+Z$/, "Z")}`;
}

function healthOf(
  snapshot: ResilienceSnapshot,
  config: Config,
  provider: string,
  model: string,
  spent: readonly BudgetState[],
): TargetHealth {
  const breaker = snapshot.targets[`${provider}/${model}`];
  const reasons: string[] = [];
  const pool = snapshot.providers[provider]?.keys;
  const keys = targetKeys(pool, config.providers[provider]?.apiKeys.length ?? 0, model);
  for (const k of pool ?? []) {
    const state = keyStateFor(k, model);
    if (state === "blocked") {
      const until = untilText(k.setAside?.[model]?.until ?? k.until);
      reasons.push(`${keyName(k.label)} set aside after ${k.status ?? "an error"}${until}`);
    } else if (state === "cooling") {
      const until = untilText(k.models?.[model]?.until ?? k.until);
      reasons.push(`${keyName(k.label)} cooling down after 429${until}`);
    }
  }
  if (breaker && breaker.state !== "closed") {
    reasons.push(
      `circuit ${breaker.state.replace("_", "-")}${
        breaker.lastError ? `: ${breaker.lastError}` : ""
      }`,
    );
  }
  // A budget of a client does not keep the target from the others: only the target's own count.
  const over = spent.filter((b) => appliesTo(b.budget, undefined, provider, model));
  for (const b of over) {
    reasons.push(
      `over budget ${b.label}: requests skip it until ${new Date(b.resetsAt).toISOString()}`,
    );
  }
  return {
    target: `${provider}/${model}`,
    breaker: breaker?.state ?? "closed",
    keys,
    reasons,
    overBudget: over.length > 0,
  };
}

// Every bucket of the window, empty ones as zero, so the bars sit at their time of day.
function chart(points: readonly SeriesPoint[], from: number, now: number, size: number) {
  const byStart = new Map(points.map((p) => [p.start, p.counters]));
  const out: ChartPoint[] = [];
  for (let start = from - (from % size); start <= now; start += size) {
    const c = byStart.get(start);
    out.push({
      start,
      tokens: c ? c.inputTokens + c.outputTokens + c.cacheReadTokens + c.cacheWriteTokens : 0,
      costUsd: !c ? 0 : c.priced > 0 || c.requests === 0 ? c.costNanoUsd / 1e9 : null,
      requests: c?.requests ?? 0,
      errors: c?.errors ?? 0,
    });
  }
  return out;
}

/** Gathers the page's data now. */
export async function uiState(deps: {
  readonly config: Config;
  readonly snapshot: ResilienceSnapshot;
  readonly inflight: number;
  readonly recent: RecentRequests;
  readonly ledger?: Ledger;
  readonly version: string;
  readonly shortContexts?: ShortContexts;
}): Promise<UiState> {
  const now = Date.now();
  const latest = deps.recent.latest();
  const shorts = inUse(deps.shortContexts?.() ?? [], deps.config, latest);
  const spent = deps.ledger?.budgets().states().filter((b) => b.exhausted) ?? [];
  const routes = Object.entries(deps.config.routes).map(([name, chain]) => ({
    name,
    targets: chain.map((t) => {
      const health = healthOf(deps.snapshot, deps.config, t.provider, t.model, spent);
      const spread = [
        ...(t.weight !== undefined
          ? [t.weight === 0 ? "failover only" : `weight ${t.weight}`]
          : []),
        ...(deps.config.providers[t.provider]?.keyStrategy === "round_robin"
          ? ["keys round robin"]
          : []),
      ];
      return spread.length > 0 ? { ...health, spread: spread.join(", ") } : health;
    }),
  }));
  let usage: UiState["usage"];
  let usageUnavailable: string | undefined;
  if (deps.ledger) {
    const store = deps.ledger.store;
    const dayAgo = now - 23 * HOUR;
    const weekAgo = now - 6 * DAY;
    // A ledger database that is away must not take the routes' health with it, which is what
    // the page is opened for during an outage.
    const reads = await withinTime(
      Promise.all([
        store.series(dayAgo, "hour"),
        store.series(weekAgo, "day"),
        store.grouped(now - 24 * 3600_000, "provider"),
      ]),
      USAGE_READ_MS,
    ).catch((err: unknown) => {
      usageUnavailable = `${store.description}: ${messageOf(err)}`;
      return undefined;
    });
    if (reads) usage = usageOf(deps.ledger, reads, dayAgo, weekAgo, now);
  }
  return {
    version: deps.version,
    now,
    inflight: deps.inflight,
    routes,
    latest,
    ...(shorts.length > 0 ? { contextWarnings: shorts.map(shortContextNote) } : {}),
    ...(usage ? { usage } : {}),
    ...(usageUnavailable ? { usageUnavailable } : {}),
  };
}

/**
 * The short-context models still in use: named by a route or alias (`provider/*` names them all),
 * or serving one of the page's latest requests (a client that names the model itself). After a
 * reload takes every route away from a model, its note goes with them.
 */
function inUse(
  shorts: readonly ShortContext[],
  config: Config,
  latest: readonly RequestSummary[],
): readonly ShortContext[] {
  if (shorts.length === 0) return shorts;
  const targets = [...Object.values(config.routes), ...Object.values(config.aliases)].flat();
  return shorts.filter((s) =>
    targets.some((t) => t.provider === s.provider && (t.model === s.model || t.model === "*")) ||
    latest.some((r) => r.provider === s.provider && r.model === s.model)
  );
}

/** How long the page waits for the ledger's sums. */
const USAGE_READ_MS = 2000;

function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function usageOf(
  ledger: Ledger,
  [hourly, daily, providers]: [
    SeriesPoint[],
    SeriesPoint[],
    Awaited<ReturnType<Ledger["store"]["grouped"]>>,
  ],
  dayAgo: number,
  weekAgo: number,
  now: number,
): UiState["usage"] {
  return {
    hourly: chart(hourly, dayAgo, now, HOUR),
    daily: chart(daily, weekAgo, now, DAY),
    byProvider: [...providers].map(([provider, c]) => ({
      provider,
      requests: c.requests,
      errors: c.errors,
    })),
    budgets: ledger.budgets().states().map((b) => ({
      label: b.label,
      spent: b.spent,
      limit: b.limit,
      unit: b.budget.costUsd !== undefined ? "USD" : "tokens",
      exhausted: b.exhausted,
      ...(b.budget.client !== undefined ? { client: b.budget.client } : {}),
    })),
  };
}
