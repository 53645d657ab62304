/** A place to send one attempt from: a limiter slot and a usable key, or why there is none. */

import type { KeyLease, KeyPool } from "./key_pool.ts";
import { chooseKey, type KeyAffinity } from "./key_choice.ts";
import { type Limiter, LimiterFullError, type Place, type Release } from "./limiter.ts";
import { nameOf, type TargetOutcome, type TargetRef } from "./outcome.ts";

/**
 * Looks at the keys before queueing (waiting for a slot on a target with no usable key is
 * pointless) and again after, since the wait may have outlived the key. A last-resort key is
 * used as given.
 *
 * A request that comes back (a re-try, a rotation) queues by its first arrival (`place`), and
 * gives up the slot it still `held` only once it is queued: that slot goes to the oldest waiter,
 * itself included, not to whoever arrived while it was sending. The key sent is chosen
 * last (key_choice.ts: the session's own, else by the provider's strategy).
 */
export async function takeSlot(
  ref: TargetRef,
  keys: KeyPool,
  limiter: Limiter,
  signal: AbortSignal,
  at: {
    readonly place: Place;
    readonly forced?: KeyLease;
    readonly held?: Release;
    readonly affinity?: KeyAffinity;
  },
): Promise<{ release: Release; key: KeyLease } | TargetOutcome> {
  const { forced, held } = at;
  const early = forced ? undefined : keys.pick(ref.model);
  if (early && !early.ok) {
    held?.();
    return { kind: "keys", target: ref, keys: early };
  }
  let release: Release;
  try {
    const waiting = limiter.acquire(signal, at.place);
    held?.();
    release = await waiting;
  } catch (error) {
    if (error instanceof LimiterFullError) {
      // The limiter is the provider's; the client is told the model too, as of every target.
      return { kind: "busy", target: ref, message: `${nameOf(ref)}: ${error.message}` };
    }
    throw error;
  }
  if (forced) return { release, key: forced };
  const pick = chooseKey(keys, ref, at.affinity);
  if (pick.ok) return { release, key: pick.key };
  release();
  return { kind: "keys", target: ref, keys: pick };
}
