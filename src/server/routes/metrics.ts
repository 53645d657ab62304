/** GET /metrics: the Prometheus text of the counters, the guards, the targets and the budgets. */

import type { Metrics } from "../../observe/metrics.ts";
import { configuredTargets } from "../../observe/target_keys.ts";
import type { ServerDeps } from "../deps.ts";

/** The /metrics handler, rendering `metrics` with the state it reads at each scrape. */
export function metricsHandler(deps: ServerDeps, metrics: Metrics): () => Response {
  return () =>
    new Response(
      metrics.render({
        resilience: () => deps.registry.snapshot(deps.config().providers),
        version: deps.version,
        startedAt: deps.startedAt,
        ...(deps.shared ? { shared: () => deps.shared!.state() } : {}),
        targets: () => configuredTargets(deps.config()),
        ...(deps.traces ? { traces: () => deps.traces!.counts() } : {}),
        ...(deps.ledger
          ? {
            ledgerDropped: () => ({ ...deps.ledger!.dropped }),
            budgets: () =>
              deps.ledger!.budgets().states().map((b) => ({
                label: b.label,
                used: b.limit > 0 ? b.spent / b.limit : 0,
                exhausted: b.exhausted,
              })),
          }
          : {}),
      }),
      { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } },
    );
}
