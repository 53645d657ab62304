/**
 * What a failed attempt teaches, step by step: a refused key is set aside (here and for other
 * instances), a passing failure is sent again after a wait, and a failure that ends the try
 * counts against the target's health.
 */

import type { UpstreamError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type { Classification } from "./classify.ts";
import { attemptLine, keyRest } from "./describe.ts";
import type { AttemptFailed } from "./dispatcher_options.ts";
import type { KeyLease } from "./key_pool.ts";
import { noteKeyRefusal } from "./key_refusal.ts";
import { MAX_WAIT_MS, type TryMode } from "./last_resort.ts";
import { type DispatchTarget, nameOf, type TargetOutcome } from "./outcome.ts";
import { shareCircuit } from "./shared_sync.ts";
import type { TargetTry } from "./target_try.ts";

// Refused keys, a 429 and a model the target lacks (asked anew: pulled, it serves) are no ill health.
const BREAKER_IGNORES = new Set(["auth", "rate_limit", "local", "target"]);

/** Whether a failure is ill health of the target (its breaker counts it). */
export function countsAgainstTarget(verdict: Classification): boolean {
  return !BREAKER_IGNORES.has(verdict.cause);
}

/** Who an attempt's log line names: the target, and the key or the client's credential it used. */
function attemptWho(at: TargetTry, key: KeyLease): string {
  // A keyless provider's label ("no key") would read as the cause of the failure.
  const which = at.credential ? ` ${at.credential.label}` : key.value === "" ? "" : ` ${key.label}`;
  return `${nameOf(at.ref)}${which}`;
}

/**
 * A failed attempt's log line (`retrying`: it is sent again), or undefined when {@link rotateKey}
 * writes it: a refused key's line says how long the key rests, which only the pool knows once the
 * refusal is recorded.
 */
export function failureLine(
  at: TargetTry,
  key: KeyLease,
  logged: string,
  verdict: Classification,
  retrying: boolean,
): string | undefined {
  if (verdict.action === "rotate_key" && (verdict.cause !== "rate_limit" || at.judges)) return;
  // A passing failure with no retry left moves on like any other, and so does a side call's 429
  // (it rotates no key: it says nothing of the key's Messages limits).
  if (verdict.action === "fatal" || (verdict.action === "retry_same" && retrying)) {
    return attemptLine(attemptWho(at, key), logged, verdict);
  }
  // A refused key or credential may still get a last-resort try; any other failure is the end.
  const final = verdict.cause !== "auth" && verdict.cause !== "rate_limit";
  return attemptLine(attemptWho(at, key), logged, moveOn(at, verdict.reason, final));
}

/**
 * What follows a try that failed, as its log line says it: the next target, or on a route with
 * no other target, nothing (`final`: the client gets this failure) or maybe a last-resort try.
 */
function moveOn(
  at: TargetTry,
  reason: string | undefined,
  final: boolean,
): { action: string; reason?: string } {
  if (!at.alone) return { action: "next_target", ...(reason ? { reason } : {}) };
  const why = ["the route has no other target", ...(reason ? [reason] : [])].join("; ");
  return { action: final ? "to_client" : "no_other_target", reason: why };
}

/**
 * Records a `rotate_key` verdict on `key`; `rotations` counts this one. Says whether another key
 * takes over, and the attempt's log line: `rotate_key` or what follows (see {@link moveOn}), with how long the key now
 * rests (so the log says when the target is asked again). A side call's 429 says nothing of the
 * key's Messages limits: nothing is recorded and undefined comes back.
 */
export function rotateKey(
  at: TargetTry,
  key: KeyLease,
  result: AttemptFailed,
  verdict: Classification,
  logged: string,
  mode: TryMode,
  rotations: number,
  now: number,
): { rotates: boolean; line: string } | undefined {
  if (verdict.cause === "rate_limit" && !at.judges) return undefined;
  const { keys, target } = at;
  const until = noteKeyRefusal(keys, at.shared, at.ref, key, {
    verdict,
    status: result.status,
    detail: logged,
  });
  // A last-resort key had its one try. Otherwise each rotation sets a key aside, so the pool
  // runs dry first; this only stops a loop of zero-length cool-downs (`Retry-After: 0`).
  // No key left to rotate to: what happened is this failure, not "no key".
  const rotates = !mode.key && rotations <= keys.size && keys.pick(target.model).ok;
  const reason = keyRest(verdict, until - now);
  // A lone key resting longer than a last resort waits gets no further try in this request.
  const final = keys.size === 1 && until - now > MAX_WAIT_MS;
  const next = rotates ? { action: "rotate_key", reason } : moveOn(at, reason, final);
  return { rotates, line: attemptLine(attemptWho(at, key), logged, next) };
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
  if (!at.judges || !countsAgainstTarget(verdict)) return false;
  const { breaker, admission, ref } = at;
  const wasOpen = breaker.state !== "closed";
  breaker.failed(logged, verdict.retryAfterMs, admission.trial);
  shareCircuit(at.shared, ref, breaker, wasOpen);
  return true;
}

/**
 * The error of a failure that stops the request (the request itself was refused): named after
 * the failure, as when the route runs out, with what the route's other targets came to.
 */
export async function fatalError(
  failed: Extract<TargetOutcome, { kind: "failed" }>,
  now: number,
  earlier: readonly TargetOutcome[] = [],
): Promise<UpstreamError> {
  const before = earlier.filter((o) => nameOf(o.target) !== nameOf(failed.target));
  const { failureError } = await lazyImport("resilience/exhausted.ts");
  return failureError(failed, now, undefined, before);
}
