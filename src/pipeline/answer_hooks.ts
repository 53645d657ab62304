/**
 * What a Messages answer is tied to while it streams: the upstream request's abort, linked to the
 * client's, and the hooks that record the answer's first token and its end.
 */

import type { AnswerHooks, AnswerOutcome } from "../upstream/transport.ts";
import type { Recorder } from "./recorder.ts";
import type { MidStreamError } from "../resilience/broken_answer.ts";

/**
 * The upstream request's abort, linked by hand to the client's signal: a signal from
 * AbortSignal.any() can be collected while fetch waits on it.
 */
export function linkedAbort(client: AbortSignal): { signal: AbortSignal; abort: () => void } {
  const upstream = new AbortController();
  const abort = () => upstream.abort(new DOMException("client disconnected", "AbortError"));
  if (client.aborted) abort();
  else client.addEventListener("abort", abort, { once: true });
  return { signal: upstream.signal, abort };
}

/**
 * The hooks an answer calls until it ends. Built apart from the request: a closure keeps
 * its whole scope alive, and these live as long as the answer streams, so from within
 * `messages` they would keep the parsed request (a long session's whole history) in memory for
 * every open stream.
 */
export function answerHooks(
  recorder: Recorder,
  abort: () => void,
  shutdown: AbortSignal | undefined,
  done?: (failure?: string, reported?: MidStreamError) => void,
): AnswerHooks {
  return {
    onFirstContent: () => recorder.firstToken(),
    ...(shutdown ? { shutdown } : {}),
    onEnd: (outcome: AnswerOutcome) => {
      if (outcome.cancelled) done?.();
      else done?.(outcome.error, outcome.reported);
      // A complete stream whose content had no characters (a tool call without input) had its
      // first token by its end. A JSON answer has no time to first token: its first token
      // arrives with its last, and counting it would blend whole-answer times into the figure.
      if (!outcome.cancelled && !outcome.error && recorder.record.stream) recorder.firstToken();
      // The status line stays 200 (it was sent); the outcome says how the answer ended.
      recorder.end({
        status: outcome.cancelled ? 499 : 200,
        outcome: outcome.cancelled ? "cancelled" : outcome.error ? "error" : "ok",
        ...(outcome.cancelled ? { error: "client disconnected" } : {}),
        ...(outcome.error ? { errorType: "api_error", error: outcome.error } : {}),
        usage: outcome.usage,
        ...(outcome.stopReason !== undefined ? { stopReason: outcome.stopReason } : {}),
      });
    },
    onCancel: abort,
  };
}
