/** Calendar periods in UTC: budgets reset at their start (weeks start on Monday). */

import type { BudgetPeriod } from "../config/types.ts";

/** Epoch milliseconds where the period holding `now` starts. */
export function periodStart(per: BudgetPeriod, now: number): number {
  const d = new Date(now);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (per) {
    case "day":
      return day;
    case "week":
      // getUTCDay(): Sunday is 0; Monday starts the week.
      return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** Epoch milliseconds where the next period starts. */
export function periodEnd(per: BudgetPeriod, now: number): number {
  const start = periodStart(per, now);
  switch (per) {
    case "day":
      return start + 86_400_000;
    case "week":
      return start + 7 * 86_400_000;
    case "month": {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** The furthest from 1970 a Date reaches, in milliseconds either way. */
const MAX_DATE_MS = 8.64e15;

// The periods budgets count by, as `--since` names them: what a monthly budget has spent is
// `--since month`, where `30d` reached into the last month.
const PERIODS: Readonly<Record<string, BudgetPeriod>> = {
  today: "day",
  week: "week",
  month: "month",
};

/**
 * `24h`, `7d`, `30d`, `90m`, a date `YYYY-MM-DD` (UTC midnight), or `today`, `week`, `month`
 * (the start of the current UTC period, as budgets count it) -> epoch milliseconds.
 */
export function parseSince(text: string, now: number): number | undefined {
  if (Object.hasOwn(PERIODS, text.trim())) return periodStart(PERIODS[text.trim()]!, now);
  const relative = /^(\d+)([mhdw])$/.exec(text.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      relative[2] as "m" | "h" | "d" | "w"
    ];
    const since = now - Number(relative[1]) * unit;
    // Past what a Date holds (about 270,000 years back) the report could not say its start.
    return Math.abs(since) <= MAX_DATE_MS ? since : undefined;
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (date) {
    const t = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    const back = new Date(t).toISOString().slice(0, 10);
    return back === text.trim() ? t : undefined;
  }
  return undefined;
}
