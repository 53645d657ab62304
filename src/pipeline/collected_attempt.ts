/**
 * An answer a JSON client waits for whole, collected while its attempt is still the dispatcher's:
 * nothing reaches the client before the answer ends, so an upstream stream that breaks mid-way (an
 * error event, a cut connection) is a failed attempt like one refused before its first byte. It
 * is retried, moves to the next key or target, and counts once for the key and the breaker.
 */

import { STATUS_OF_ERROR_TYPE, UpstreamError } from "../core/errors.ts";
import type {
  Answer,
  AnswerHooks,
  AnswerOutcome,
  AttemptFailure,
  AttemptSuccess,
} from "../upstream/transport.ts";

/**
 * Opens `result` now and keeps the answer for the hooks the answer is later opened with (what
 * ended meanwhile is told to them then); a stream that broke mid-way is returned as the failure it
 * stands for. Any other failure to open, or one while ccp shuts down, is kept for the later
 * opening, which throws it as before.
 */
export async function collectedAttempt(
  result: AttemptSuccess,
  shutdown: AbortSignal | undefined,
): Promise<AttemptSuccess | AttemptFailure> {
  let later: AnswerHooks | undefined;
  let ended: AnswerOutcome | undefined;
  let answer: Answer;
  try {
    answer = await result.open({
      ...(shutdown ? { shutdown } : {}),
      // A JSON answer ends before it is handed on; any other is passed the later hooks.
      onEnd: (outcome) => later ? later.onEnd(outcome) : (ended = outcome),
      onCancel: () => later?.onCancel(),
      onFirstContent: () => later?.onFirstContent?.(),
    });
  } catch (error) {
    if (error instanceof UpstreamError && error.midStream && !shutdown?.aborted) {
      return brokenAttempt(error);
    }
    return { ...result, open: () => Promise.reject(error) };
  }
  return {
    ...result,
    open: (hooks) => {
      later = hooks;
      if (ended) hooks.onEnd(ended);
      return Promise.resolve(answer);
    },
  };
}

/**
 * The failure a broken answer stands for: an error the upstream reported is read as that status
 * with its own words as the body; a cut connection as a connection that broke (retried).
 */
function brokenAttempt(error: UpstreamError): AttemptFailure {
  const reported = error.reported;
  if (reported === undefined) {
    const cut = new UpstreamError(error.errorType, error.message, {
      status: error.status,
      cause: new Error(error.message),
    });
    return { ok: false, error: cut };
  }
  return {
    ok: false,
    error,
    status: reported.status ?? STATUS_OF_ERROR_TYPE[reported.type],
    ...(reported.said === undefined ? {} : { bodyText: reported.said }),
  };
}
