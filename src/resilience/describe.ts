/** Turns a failed attempt into one short, key-free line for logs, health and error messages. */

import { messageOf, ProxyError } from "../core/errors.ts";
import { scrubSecrets } from "../core/secrets.ts";
import { bounded, snippet, upstreamMessage } from "../core/upstream_message.ts";
import type { Classification, Failure } from "./classify.ts";

function innermost(error: unknown): string {
  let e = error;
  for (let depth = 0; depth < 4 && e instanceof Error && e.cause !== undefined; depth++) {
    e = e.cause;
  }
  return messageOf(e);
}

/** `upstream answered 503: Service overloaded`, a timeout or network reason; keys scrubbed. */
export function describeFailure(failure: Failure, keys: readonly string[] = []): string {
  // Scrubbed before any cut: a key cut in two would no longer be found.
  if (failure.error instanceof ProxyError) {
    // A transport's own UpstreamError is already worded for the client, the upstream's words in
    // it capped where they were quoted: cutting the whole at that cap would cut ccp's advice,
    // which comes last.
    return bounded(scrubSecrets(failure.error.message, keys));
  }
  if (failure.status !== undefined) {
    const message = snippet(scrubSecrets(upstreamMessage(failure.bodyText), keys));
    return `upstream answered ${failure.status}${message ? `: ${message}` : ""}`;
  }
  return snippet(scrubSecrets(innermost(failure.error), keys));
}

/** The log line of a failed attempt: who, what happened, what comes next and, when not plain, why. */
export function attemptLine(
  who: string,
  detail: string,
  verdict: { readonly action: string; readonly reason?: string },
): string {
  return `${who}: ${detail} \u2192 ${verdict.action}${
    verdict.reason ? ` (${verdict.reason})` : ""
  }`;
}

/**
 * Why a refused key's attempt moves on, for its log line: how long the key now rests, so a reader
 * of the log knows when the target is asked again (a 429's wait is the one the upstream stated).
 */
export function keyRest(verdict: Classification, restMs: number): string {
  const seconds = `${Math.max(0, Math.round(restMs / 1000))}s`;
  if (verdict.cause !== "rate_limit") return `the key is set aside for ${seconds}`;
  const on = verdict.scope === "key"
    ? ""
    : verdict.scope === "free_models"
    ? " on every free model"
    : " on this model";
  return `the key cools down for ${seconds}${on}`;
}
