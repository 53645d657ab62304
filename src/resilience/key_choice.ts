/**
 * Which key a request is sent with: its session's own key while that one is usable, else the
 * pool's pick by the provider's strategy; a session moved off its key (cooling, set aside, its
 * usage limit reached) stays with the new one, so its other requests do not wander back and forth
 * between caches.
 */

import type { KeyLease, KeyPick, KeyPool } from "./key_pool.ts";
import type { TargetRef } from "./outcome.ts";

/** A session's remembered key per provider (see affinity.ts); absent without a session. */
export interface KeyAffinity {
  keyOf(provider: string): number | undefined;
  keepKey(provider: string, index: number): void;
}

/** The key for one attempt at `ref`, or why none is usable. */
export function chooseKey(keys: KeyPool, ref: TargetRef, affinity?: KeyAffinity): KeyPick {
  const own = affinity?.keyOf(ref.provider);
  if (own !== undefined) {
    const key: KeyLease | undefined = keys.usable(own, ref.model);
    if (key) return { ok: true, key };
  }
  const pick = keys.pick(ref.model);
  if (!pick.ok) return pick;
  keys.handedOut(pick.key);
  // A keyless provider (or one key) has nothing to choose between.
  if (keys.size > 1) affinity?.keepKey(ref.provider, pick.key.index);
  return pick;
}
