/** `ccp usage` and `GET /v1/ccp/usage`: the same question, the same answer. */

import { parseSince } from "./period.ts";
import type { UsageStore } from "./store.ts";
import { reportOf, USAGE_GROUPS, type UsageGroup, type UsageReport } from "./totals.ts";

/** What a usage question asks, as typed by a user. */
export interface UsageQuestion {
  /** `24h`, `7d`, `30d` or `YYYY-MM-DD`; default `7d`. */
  readonly since?: string;
  /** default `day`. */
  readonly by?: string;
}

/** A question ccp understood, or what is wrong with it. */
export type ParsedQuestion =
  | { readonly ok: true; readonly since: number; readonly by: UsageGroup }
  | { readonly ok: false; readonly message: string };

/** Checks `since` and `by`. */
export function parseQuestion(q: UsageQuestion, now: number): ParsedQuestion {
  const sinceText = q.since ?? "7d";
  const since = parseSince(sinceText, now);
  if (since === undefined) {
    return {
      ok: false,
      message: `since: expected 24h, 7d, 30d (any number of m, h, d or w), today, week, month ` +
        `(since the UTC period began, as budgets count) or a date YYYY-MM-DD, got ` +
        JSON.stringify(sinceText),
    };
  }
  const by = q.by ?? "day";
  const group = USAGE_GROUPS.find((g) => g === by);
  if (group === undefined) {
    return {
      ok: false,
      message: `by: expected one of ${USAGE_GROUPS.join(", ")}, got ${JSON.stringify(by)}`,
    };
  }
  return { ok: true, since, by: group };
}

/** The report for a parsed question. */
export async function usageReport(
  store: UsageStore,
  q: { since: number; by: UsageGroup },
): Promise<UsageReport> {
  return (await usageAnswer(store, q)).report;
}

/**
 * The report, with how many of its requests used a model without a known price: a table that
 * shows a total cost says when that cost leaves them out (the JSON keeps its documented shape).
 */
export async function usageAnswer(
  store: UsageStore,
  q: { since: number; by: UsageGroup },
): Promise<{ report: UsageReport; unpriced: number }> {
  const groups = await store.grouped(q.since, q.by);
  let unpriced = 0;
  for (const c of groups.values()) unpriced += c.unpriced;
  return { report: reportOf(q.since, q.by, groups), unpriced };
}
