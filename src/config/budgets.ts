/** Builds `budgets:` and `usage:` from their parsed YAML sections. */

import type { Problems } from "./issues.ts";
import type { BudgetSection } from "./schema/config.ts";
import type { BudgetConfig, UsageConfig } from "./types.ts";

/** Ledger records are kept this long unless `usage.retention` says otherwise. */
const DEFAULT_RETENTION_MS = 90 * 24 * 3600_000;

/** The usage settings with their defaults. */
export function buildUsage(
  section: { enabled?: boolean; retention?: number } | undefined,
): UsageConfig {
  const retention = section?.retention;
  return {
    enabled: section?.enabled ?? true,
    retentionMs: retention !== undefined && retention > 0 ? retention : DEFAULT_RETENTION_MS,
  };
}

/** Validated budgets; each names exactly one target (provider, provider/model or client). */
export function buildBudgets(
  sections: readonly BudgetSection[] | undefined,
  providerIds: ReadonlySet<string>,
  problems: Problems,
  ledgerOn = true,
): BudgetConfig[] {
  const out: BudgetConfig[] = [];
  if (sections !== undefined && sections.length > 0 && !ledgerOn) {
    problems.add(
      ["budgets"],
      "budgets are read from the usage ledger: remove usage.enabled: false",
    );
  }
  (sections ?? []).forEach((b, i) => {
    const path = ["budgets", i];
    const before = problems.count;
    if ((b.target === undefined) === (b.client === undefined)) {
      problems.add(path, "needs exactly one of target (a provider or provider/model) or client");
    }
    if ((b.tokens === undefined) === (b.cost_usd === undefined)) {
      problems.add(path, "needs exactly one of tokens or cost_usd");
    }
    let provider: string | undefined;
    let model: string | undefined;
    if (b.target !== undefined) {
      const cut = b.target.indexOf("/");
      provider = cut < 0 ? b.target : b.target.slice(0, cut);
      model = cut < 0 ? undefined : b.target.slice(cut + 1) || undefined;
      if (!providerIds.has(provider)) {
        problems.add(
          [...path, "target"],
          `unknown provider "${provider}" (not under providers:, nor a local preset)`,
        );
      }
    }
    if (problems.count > before) return;
    out.push({
      ...(provider !== undefined ? { provider } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(b.client !== undefined ? { client: b.client } : {}),
      ...(b.tokens !== undefined ? { tokens: b.tokens } : {}),
      ...(b.cost_usd !== undefined ? { costUsd: b.cost_usd } : {}),
      per: b.per,
      routeAwayAt: b.route_away_at ?? 1,
    });
  });
  return out;
}
