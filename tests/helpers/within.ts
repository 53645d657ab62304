/** Waiting with a bound in tests. */

import { deadline } from "../../src/core/deadlines.ts";

/** `promise`'s value, or a failure after `ms` (naming `what`) rather than a hung test. */
export async function within<T>(promise: Promise<T>, ms: number, what = "it"): Promise<T> {
  let cancel = () => {};
  const late = new Promise<never>((_, reject) => {
    cancel = deadline(ms, () => reject(new Error(`${what} did not happen within ${ms} ms`)));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    cancel();
  }
}

/**
 * The least time a wait that only guards against a hang is given. The full suite runs on two
 * cores beside other work, where a real `claude` took several times as long as on an idle
 * machine; such a wait gains nothing from failing sooner, and a test that passes waits no longer.
 */
export const HANG_MS = 120_000;

/** A bound against a hang for a wait of `ms` on an idle machine: `ms`, at least {@link HANG_MS}. */
export function hangBound(ms: number): number {
  return Math.max(ms, HANG_MS);
}
