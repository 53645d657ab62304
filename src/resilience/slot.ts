/** A place to send one attempt from: a limiter slot and a usable key, or why there is none. */

import type { KeyLease, KeyPool } from "./key_pool.ts";
import { type Limiter, LimiterFullError, type Release } from "./limiter.ts";
import { nameOf, type TargetOutcome, type TargetRef } from "./outcome.ts";

/**
 * Looks at the keys before queueing (waiting for a slot on a target with no usable key is
 * pointless) and again after, since the wait may have outlived the key. A last-resort key is
 * used as given.
 */
export async function takeSlot(
  ref: TargetRef,
  keys: KeyPool,
  limiter: Limiter,
  signal: AbortSignal,
  forced?: KeyLease,
): Promise<{ release: Release; key: KeyLease } | TargetOutcome> {
  const early = forced ? undefined : keys.pick(ref.model);
  if (early && !early.ok) return { kind: "keys", target: ref, keys: early };
  let release: Release;
  try {
    release = await limiter.acquire(signal);
  } catch (error) {
    if (error instanceof LimiterFullError) {
      // The limiter is the provider's; the client is told the model too, as of every target.
      return { kind: "busy", target: ref, message: `${nameOf(ref)}: ${error.message}` };
    }
    throw error;
  }
  if (forced) return { release, key: forced };
  const pick = keys.pick(ref.model);
  if (pick.ok) return { release, key: pick.key };
  release();
  return { kind: "keys", target: ref, keys: pick };
}
