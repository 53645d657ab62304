/**
 * Gemini's per-day quotas. Its 429 lists the quotas the request broke (`QuotaFailure`
 * violations); a spent day's quota is named by a `quotaId` such as
 * `GenerateRequestsPerDayPerProjectPerModel-FreeTier`. The same answer still carries a
 * `RetryInfo` of seconds ("Please retry in 27s"), which the day's quota ignores: it lifts at
 * midnight Pacific time, as Google documents. Taken at its word, that hint had the key tried
 * again every half minute and Claude Code told to retry in seconds, all day long.
 */

// Each id whole, then looked into: a pattern seeking "PerDay" inside the quotes backtracked over
// every "PerDay" of an unclosed one, seconds on an error body's 64 KB.
const QUOTA_ID = /"quotaId"\s*:\s*"([^"]*)"/g;
const DAY_MS = 86_400_000;

let pacific: Intl.DateTimeFormat | undefined;

/**
 * When a Gemini 429 in `bodyText` says a per-day quota is spent: the next midnight Pacific
 * time, and whether the quota is one model's (`...PerModel...`) or the whole key's.
 */
export function geminiDayReset(
  bodyText: string | undefined,
  now: number,
): { at: number; scope: "model" | "key" } | undefined {
  if (bodyText === undefined) return undefined;
  for (const [, id] of bodyText.matchAll(QUOTA_ID)) {
    if (!id!.includes("PerDay")) continue;
    return { at: nextPacificMidnight(now), scope: id!.includes("PerModel") ? "model" : "key" };
  }
  return undefined;
}

/** The next midnight in America/Los_Angeles after `now` (epoch ms), summer time included. */
export function nextPacificMidnight(now: number): number {
  const local = now + pacificOffset(now);
  const midnight = (Math.floor(local / DAY_MS) + 1) * DAY_MS;
  // The clocks change at 02:00, so the offset that holds at midnight is the one to subtract.
  return midnight - pacificOffset(midnight - pacificOffset(now));
}

/** Pacific wall-clock time minus UTC at `at`, in ms (-8 h in winter, -7 h in summer). */
function pacificOffset(at: number): number {
  pacific ??= new Intl.DateTimeFormat("en-US", {
    timeZone: "America/Los_Angeles",
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const parts = pacific.formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(
    part("year"),
    part("month") - 1,
    part("day"),
    part("hour"),
    part("minute"),
    part("second"),
  );
  return wall - (at - (at % 1000));
}
