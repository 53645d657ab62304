/**
 * What a failed attempt teaches, step by step: a refused key is set aside (here and for other
 * instances), a passing failure is sent again after a wait, and a failure that ends the try
 * counts against the target's health.
 */

import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type { Classification } from "./classify.ts";
import type { AttemptFailed } from "./dispatcher_options.ts";
import type { KeyLease } from "./key_pool.ts";
import { noteKeyRefusal } from "./key_refusal.ts";
import type { TryMode } from "./last_resort.ts";
import type { DispatchTarget } from "./outcome.ts";
import { shareCircuit } from "./shared_sync.ts";
import type { TargetTry } from "./target_try.ts";

// Refused keys, a 429 and a model the target lacks (asked anew: pulled, it serves) are no ill health.
const BREAKER_IGNORES = new Set(["auth", "rate_limit", "local", "target"]);

/**
 * Records a `rotate_key` verdict on `key` and says whether another key may be tried; `rotations`
 * counts this one. A side call's 429 says nothing of the key's Messages limits: it moves on.
 */
export function rotateKey(
  at: TargetTry,
  key: KeyLease,
  result: AttemptFailed,
  verdict: Classification,
  logged: string,
  mode: TryMode,
  rotations: number,
): boolean {
  if (verdict.cause === "rate_limit" && !at.judges) return false;
  const { keys, target } = at;
  noteKeyRefusal(keys, at.shared, at.ref, key, {
    verdict,
    status: result.status,
    detail: logged,
  });
  // A last-resort key had its one try. Otherwise each rotation sets a key aside, so the pool
  // runs dry first; this only stops a loop of zero-length cool-downs (`Retry-After: 0`).
  if (mode.key || rotations > keys.size) return false;
  // No key left to rotate to: what happened is this failure, not "no key".
  return keys.pick(target.model).ok;
}

/**
 * How long to wait before sending the same attempt again, or undefined when it is not to be sent
 * again: the verdict must say it may pass, retries must be left (the provider's and the request's
 * limit), and a wait the upstream announced must be short enough to wait out.
 */
export function retryDelay(
  target: DispatchTarget,
  verdict: Classification,
  retries: number,
  limits: { readonly backoff: BackoffOptions; readonly maxRetries: number },
): number | undefined {
  const hint = verdict.retryAfterMs;
  const waitable = hint === undefined || hint <= limits.backoff.maxRetryAfterMs;
  const maxRetries = Math.min(target.provider.maxRetries, limits.maxRetries);
  if (verdict.action !== "retry_same" || retries >= maxRetries || !waitable) return undefined;
  // The provider's own base and ceiling, when it has them; a hint still wins.
  const backoff = { ...limits.backoff, ...target.provider.retryDelay };
  return backoffDelay(retries, backoff, hint);
}

/**
 * Tells the breaker (and other instances) of a failure that ends the try, unless the request does
 * not judge the target or the cause is no ill health. Says whether the breaker heard a verdict.
 */
export function blameTarget(at: TargetTry, verdict: Classification, logged: string): boolean {
  if (!at.judges || BREAKER_IGNORES.has(verdict.cause)) return false;
  const { breaker, admission, ref } = at;
  const wasOpen = breaker.state !== "closed";
  breaker.failed(logged, verdict.retryAfterMs, admission.trial);
  shareCircuit(at.shared, ref, breaker, wasOpen);
  return true;
}
