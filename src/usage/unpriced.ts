/**
 * USD budgets that cannot see part of their spend: a request to a model without a price (a
 * local preset, a flat-fee plan, a model neither the config nor the built-in table prices) adds nothing to a
 * `cost_usd` budget, which then reads $0 and never routes away however much is used. ccp says
 * so at start, in `ccp check`, and when such a request first arrives.
 */

import type { BudgetConfig, Config, Target } from "../config/types.ts";
import { appliesTo, budgetLabel } from "./budgets.ts";
import { billingOf, costReports, priceOf } from "./prices.ts";

/** A `provider/model` a USD budget covers but has no price for. */
export interface UnpricedTarget {
  /** The budget's label (`anthropic`, `nim/glm4.7`, `client ci`). */
  readonly budget: string;
  readonly provider: string;
  readonly model: string;
  /** The provider's answers say their cost only when not streamed (its Anthropic endpoint). */
  readonly unstreamedCost?: true;
}

/** The warning for one {@link UnpricedTarget}. */
export function unpricedWarning(u: UnpricedTarget): string {
  const set =
    `Set providers.${u.provider}.model_settings."${u.model}".price (USD per million tokens)`;
  if (u.unstreamedCost) {
    return `Budget ${u.budget} counts USD, but ${u.provider}/${u.model} has no price, and ` +
      `provider "${u.provider}"'s Anthropic endpoint says no cost in a streamed answer: its ` +
      `streamed requests (all of Claude Code's) add nothing to it. ${set}, set type: openai on ` +
      `provider "${u.provider}" (each answer then says what it cost), or make it a tokens budget`;
  }
  return `Budget ${u.budget} counts USD, but ${u.provider}/${u.model} has no price: its ` +
    `requests add nothing to it. ${set}, or make it a tokens budget`;
}

/** `provider/model` as a budget's unpriced target, noting a cost said only when not streamed. */
export function unpricedTarget(
  config: Config,
  budget: string,
  provider: string,
  model: string,
): UnpricedTarget {
  const unstreamed = costReports(config, provider) === "unstreamed";
  return { budget, provider, model, ...(unstreamed ? { unstreamedCost: true as const } : {}) };
}

/** Every route and alias target a USD budget covers that has no price. */
export function unpricedTargets(config: Config): UnpricedTarget[] {
  const budgets = (config.budgets ?? []).filter((b) => b.costUsd !== undefined);
  if (budgets.length === 0) return [];
  const targets = [...Object.values(config.routes), ...Object.values(config.aliases)].flat();
  const out: UnpricedTarget[] = [];
  const seen = new Set<string>();
  for (const b of budgets) {
    const label = budgetLabel(b);
    const routed = targets.filter((t) => appliesTo(b, b.client, t.provider, t.model));
    // A budget on one model no route names is still checked by the provider's own settings.
    const covered: Pick<Target, "provider" | "model" | "clientModel" | "settings">[] =
      b.provider !== undefined && b.model !== undefined && routed.length === 0
        ? [{ provider: b.provider, model: b.model }]
        : routed;
    for (const t of covered) {
      // `provider/*` sends the client's own model name, priced when a request names it (a name
      // without a price is warned about then); only a provider billed otherwise than per token at
      // list prices is known at start (a local server or a flat-fee plan has none, a free API 0).
      if (t.clientModel && billingOf(config, t.provider) === undefined) continue;
      // A provider whose every answer says its cost prices every request it answers (one whose
      // answer says nothing is warned about when it arrives); one whose streamed answers do not
      // is priced by the table for those, as Claude Code's are.
      if (costReports(config, t.provider) === "every") continue;
      // A route variant's own price counts for its target only.
      if (priceOf(config, t.provider, t.model, t.settings)) continue;
      const key = `${label}\n${t.provider}/${t.model}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(unpricedTarget(config, label, t.provider, t.model));
    }
  }
  return out;
}

/** The USD budgets a request of `client` to `provider`/`model` falls under. */
export function costBudgetsOf(
  budgets: readonly BudgetConfig[],
  client: string | undefined,
  provider: string,
  model: string,
): string[] {
  return budgets
    .filter((b) => b.costUsd !== undefined && appliesTo(b, client, provider, model))
    .map(budgetLabel);
}
