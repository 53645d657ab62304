/**
 * What an upstream says an answer cost, in USD, read off the answer's `usage` object: OpenRouter
 * reports it on every answer, in the same words whichever API it was reached by (Chat
 * Completions' last chunk or whole answer, its Anthropic Messages answer, its Responses answer).
 */

/**
 * The cost `usage` reports, or undefined when it reports none. `cost` is what the upstream charged
 * its own account; a request sent on the user's own provider key (`is_byok`) was also charged by
 * that provider, `cost_details.upstream_inference_cost`, which is then part of what it cost (on
 * other requests that figure repeats `cost` and is not added).
 */
export function reportedCost(usage: unknown): number | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const u = usage as { cost?: unknown; is_byok?: unknown; cost_details?: unknown };
  const cost = amount(u.cost);
  if (cost === undefined || u.is_byok !== true) return cost;
  const details = u.cost_details as { upstream_inference_cost?: unknown } | null | undefined;
  return cost + (amount(details?.upstream_inference_cost) ?? 0);
}

// A reported amount: a finite number, not below zero (a negative one would take spend off a
// budget).
function amount(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
