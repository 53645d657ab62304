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
