/**
 * What a key's refusal leaves behind: a 429 cools the key for the model that answered it (for
 * every model when it said the whole key is limited, for every free model when it said their
 * shared limit is spent), a 401/402 (or a 429 saying the credits are spent) sets it aside for
 * every model and a 403 for the refused model only; shared state hears of each, so other
 * instances skip the key too (for that model only, after a 403).
 */

import type { Classification } from "./classify.ts";
import { FREE_MODELS, type KeyLease, type KeyPool, WHOLE_KEY } from "./key_pool.ts";
import type { TargetRef } from "./outcome.ts";
import type { SharedGuards } from "./shared_sync.ts";

/**
 * Records a `rotate_key` verdict of `key` for `ref` in the pool and in shared state; returns when
 * the key may serve `ref` again.
 */
export function noteKeyRefusal(
  keys: KeyPool,
  shared: SharedGuards | undefined,
  ref: TargetRef,
  key: KeyLease,
  refusal: { readonly verdict: Classification; readonly status?: number; readonly detail: string },
): number {
  const { verdict, detail } = refusal;
  if (verdict.cause === "rate_limit") {
    const scope = verdict.scope === "key"
      ? WHOLE_KEY
      : verdict.scope === "free_models"
      ? FREE_MODELS
      : ref.model;
    // A set-aside key that answers 429 was accepted: the pool ends its set-aside (below), and
    // shared state must too, or the key is refused again where it is read back.
    if (keys.isSetAside(key, ref.model)) shared?.cleared(ref.provider, key.index, ref.model, false);
    const until = keys.rateLimited(key, verdict.retryAfterMs, scope, detail, verdict.stated);
    const hinted = verdict.retryAfterMs !== undefined;
    // The upstream's words travel with a rest until a stated reset only: hours on, a client is
    // answered from that memory alone, and is told which limit. A minute's need not carry them.
    const said = verdict.stated ? detail : undefined;
    shared?.cooling(ref.provider, key.index, scope, until, hinted, said);
    return until;
  }
  const status = refusal.status ?? 0;
  const until = keys.rejected(key, status, detail, ref.model);
  const model = status === 403 ? ref.model : undefined;
  shared?.setAside(ref.provider, key.index, until, status, detail, model);
  return until;
}
