/**
 * An answer that broke mid-way, read as the same failure before its first byte would be: the
 * client keeps what it already has, but the guards learn what the upstream said. A rate limit
 * reported inside a stream cools the key (for the wait its words give) and is no ill health of
 * the target; an overload or a broken connection counts against it; a refusal of the request
 * itself counts for nothing. Without this, the client's immediate re-send went to the limited
 * key again, once more refused, before the normal failover.
 */

import { type ReportedError, STATUS_OF_ERROR_TYPE } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { classify, type Failure } from "./classify.ts";
import type { Clock } from "./clock.ts";
import type { CredentialHolds } from "./credential_holds.ts";
import { attemptLine, keyRest } from "./describe.ts";
import { countsAgainstTarget } from "./failure_lessons.ts";
import type { KeyLease } from "./key_pool.ts";
import { noteKeyRefusal } from "./key_refusal.ts";
import { nameOf } from "./outcome.ts";
import type { TargetTry } from "./target_try.ts";

/**
 * An error the upstream reported inside its answer (none: the connection broke, or ccp ended it):
 * the Anthropic type it became, whose status the guards read unless the error names the status
 * it stands for (a refused key), and the upstream's own words (its error event's data), read as
 * that status's body would be.
 */
export type MidStreamError = ReportedError;

/** What the guards need beyond the try itself, when an answer breaks. */
export interface BreakContext {
  readonly clock: Clock;
  readonly credentials: CredentialHolds;
  readonly log?: Logger;
}

/**
 * Tells the key pool, the client's credential holds and the breaker how the answer broke
 * (`logged`: the reason, key-free and without the request's text).
 */
export function answerBroke(
  at: TargetTry,
  key: KeyLease,
  logged: string,
  reported: MidStreamError | undefined,
  context: BreakContext,
): void {
  const { breaker, admission, target, ref } = at;
  if (reported === undefined) return breaker.streamFailed(logged, admission.trial);
  const failure: Failure = {
    status: reported.status ?? STATUS_OF_ERROR_TYPE[reported.type],
    ...(reported.said === undefined ? {} : { bodyText: reported.said }),
  };
  const now = context.clock.now();
  const verdict = classify(failure, {
    fallbackOn: target.provider.fallbackOn,
    passthroughAuth: target.provider.auth === "passthrough",
    now,
    model: target.model,
  });
  if (at.credential) {
    context.credentials.failed(ref.provider, at.credential, ref.model, failure, verdict);
  }
  if (verdict.action === "rotate_key") {
    const until = noteKeyRefusal(at.keys, at.shared, ref, key, {
      verdict,
      status: failure.status,
      detail: logged,
    });
    const who = key.value === "" ? nameOf(ref) : `${nameOf(ref)} ${key.label}`;
    context.log?.warn(attemptLine(who, logged, { action: keyRest(verdict, until - now) }));
  }
  // A refusal of the request itself is no verdict on the target, as before the first byte.
  if (verdict.action !== "fatal" && countsAgainstTarget(verdict)) {
    breaker.streamFailed(logged, admission.trial);
  } else breaker.released(admission.trial);
}
