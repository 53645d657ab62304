import { type Cancel, deadline } from "../core/deadlines.ts";

/** Injected time: every resilience module reads time and schedules wake-ups only through a Clock. */

/** Cancels a scheduled timer; calling it twice is harmless. */
export type { Cancel };

/** A source of "now" (epoch milliseconds) and one-shot timers, faked in tests. */
export interface Clock {
  now(): number;
  timer(ms: number, fn: () => void): Cancel;
}

/** The real clock: `Date.now` and shared deadlines (one runtime timer for all of them). */
export const systemClock: Clock = {
  now: () => Date.now(),
  timer: deadline,
};

/** Waits `ms` on `clock`; rejects with the signal's reason as soon as it aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.timer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Formats a duration for messages: `500ms`, `12s`, `1.5s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** Whole seconds until `at`, rounded up and at least 1, as `Retry-After` wants. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/**
 * `12s` until `until`; a wait of an hour or more (a plan's window, a day's quota) also names the
 * moment in UTC, since the upstream's own words may name it in another zone or not at all, and
 * 33875s alone says little to a reader.
 */
export function waitText(until: number, now: number): string {
  const seconds = secondsUntil(until, now);
  if (seconds < 3600) return `${seconds}s`;
  const at = new Date(now + seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${seconds}s, at ${at} UTC`;
}
