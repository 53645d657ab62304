/**
 * The guards' state on GET /metrics, read at scrape time: keys (per provider and per target),
 * limiters, circuit breakers, shared engines and budgets.
 */

import type { ResilienceSnapshot } from "../resilience/registry.ts";
import { labels } from "./label_sets.ts";
import { targetKeys } from "./target_keys.ts";

/** What the guards' families read at scrape time. */
export interface GuardSources {
  readonly resilience: () => ResilienceSnapshot;
  /** Budgets' use, 0-1 and beyond, by label (absent without a ledger). */
  readonly budgets?: () => readonly { label: string; used: number; exhausted: boolean }[];
  /** Reachability of the shared engines (absent without any). */
  readonly shared?: () => Readonly<Record<string, { reachable: boolean }>>;
  /**
   * The targets routes and aliases name, with each provider's configured key count (for a pool
   * no request has built yet); `ccp_target_keys` shows each of them.
   */
  readonly targets?: () => readonly ConfiguredTarget[];
}

/** One `provider/model` the config names, and how many keys its provider has. */
export interface ConfiguredTarget {
  readonly provider: string;
  readonly model: string;
  readonly keys: number;
}

/** Writes a family's HELP and TYPE lines. */
export type Family = (name: string, type: string, help: string) => void;

/** The model label under the bound every model label keeps to (past it, `other`). */
export type BoundedModel = (provider: string, model: string) => string;

/**
 * Keys that can serve each target now. A 429 cools a key for one model, so only a per-model
 * count says whether a target has a key left. The series are the configured targets plus the
 * models a key is cooling for right now (an explicit `provider/model` a client named), those
 * under the same bound as every model label: past it they are left to /health.
 */
function renderTargetKeys(
  out: string[],
  family: Family,
  snapshot: ResilienceSnapshot,
  configured: readonly ConfiguredTarget[],
  bounded: BoundedModel,
): void {
  family(
    "ccp_target_keys",
    "gauge",
    "Keys by state for one provider and upstream model: ready keys can serve it now.",
  );
  const shown = new Map<string, { provider: string; model: string; keys: number }>();
  for (const t of configured) shown.set(JSON.stringify([t.provider, t.model]), t);
  for (const [provider, { keys }] of Object.entries(snapshot.providers)) {
    for (const k of keys) {
      for (const model of Object.keys(k.models ?? {})) {
        const id = JSON.stringify([provider, model]);
        if (shown.has(id) || bounded(provider, model) !== model) continue;
        shown.set(id, { provider, model, keys: 0 });
      }
    }
  }
  for (const { provider, model, keys } of shown.values()) {
    const counts = targetKeys(snapshot.providers[provider]?.keys, keys, model);
    for (const [state, n] of Object.entries(counts)) {
      out.push(`ccp_target_keys${labels({ provider, model, state })} ${n}`);
    }
  }
}

/** The guards' families: keys, keys per target, limiters, breakers, shared engines, budgets. */
export function renderGuards(
  out: string[],
  family: Family,
  sources: GuardSources,
  bounded: BoundedModel,
): void {
  const snapshot = sources.resilience();
  family(
    "ccp_keys",
    "gauge",
    "Keys per provider by their own state (ready, cooling as a whole, blocked); a key cooling " +
      "for one model is ready here: ccp_target_keys counts per model.",
  );
  for (const [provider, { keys }] of Object.entries(snapshot.providers)) {
    const counts: Record<string, number> = { ready: 0, cooling: 0, blocked: 0 };
    for (const k of keys) counts[k.state] = (counts[k.state] ?? 0) + 1;
    for (const [state, n] of Object.entries(counts)) {
      out.push(`ccp_keys${labels({ provider, state })} ${n}`);
    }
  }
  renderTargetKeys(out, family, snapshot, sources.targets?.() ?? [], bounded);
  family("ccp_limiter_active", "gauge", "Requests holding a provider's concurrency slots.");
  for (const [provider, { limiter }] of Object.entries(snapshot.providers)) {
    out.push(`ccp_limiter_active${labels({ provider })} ${limiter.active}`);
  }
  family(
    "ccp_limiter_queued",
    "gauge",
    "Requests waiting for a provider's rate or concurrency limit.",
  );
  for (const [provider, { limiter }] of Object.entries(snapshot.providers)) {
    out.push(`ccp_limiter_queued${labels({ provider })} ${limiter.queued}`);
  }
  family(
    "ccp_circuit_breaker_open",
    "gauge",
    "1 while a target's circuit breaker is in the state (open, half_open); 0 otherwise.",
  );
  // Two series per target whatever its state, so none vanishes when a breaker changes. Models
  // past the label bound share `other`: 1 while any of them is in the state.
  const breakers = new Map<
    string,
    { provider: string; model: string; open: 0 | 1; half: 0 | 1 }
  >();
  for (const [target, b] of Object.entries(snapshot.targets)) {
    const cut = target.indexOf("/");
    const provider = target.slice(0, cut);
    const model = bounded(provider, target.slice(cut + 1));
    const id = JSON.stringify([provider, model]);
    const row = breakers.get(id) ?? { provider, model, open: 0, half: 0 };
    if (b.state === "open") row.open = 1;
    if (b.state === "half_open") row.half = 1;
    breakers.set(id, row);
  }
  for (const { provider, model, open, half } of breakers.values()) {
    out.push(`ccp_circuit_breaker_open${labels({ provider, model, state: "open" })} ${open}`);
    out.push(
      `ccp_circuit_breaker_open${labels({ provider, model, state: "half_open" })} ${half}`,
    );
  }
  family("ccp_shared_reachable", "gauge", "1 while a shared engine (postgres, redis) answers.");
  for (const [engine, { reachable }] of Object.entries(sources.shared?.() ?? {})) {
    out.push(`ccp_shared_reachable${labels({ engine })} ${reachable ? 1 : 0}`);
  }
  const budgets = sources.budgets?.() ?? [];
  family("ccp_budget_used_ratio", "gauge", "Share of each budget spent this period.");
  for (const b of budgets) {
    out.push(`ccp_budget_used_ratio${labels({ budget: b.label })} ${b.used}`);
  }
  // The ratio alone cannot say when routing away starts: `route_away_at` may be below 100 %.
  family(
    "ccp_budget_exhausted",
    "gauge",
    "1 while a budget's spend has reached its route_away_at and requests skip its target.",
  );
  for (const b of budgets) {
    out.push(`ccp_budget_exhausted${labels({ budget: b.label })} ${b.exhausted ? 1 : 0}`);
  }
}
