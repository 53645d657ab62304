/** Asking an Anthropic endpoint to count a request's tokens, with the same keys and limits as a request. */

import { deadline } from "../core/deadlines.ts";
import type { HeaderReader } from "../core/headers.ts";
import type { ModelSettings, ProviderConfig } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import { loggedText } from "../core/logged_text.ts";
import { RequestText } from "../core/request_text.ts";
import { Dispatcher } from "../resilience/dispatcher.ts";
import type { KeyAffinity } from "../resilience/key_choice.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import { callAnthropic } from "../upstream/anthropic/anthropic.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import { outgoingRequest } from "../upstream/http/headers.ts";
import type { PostSuccess } from "../upstream/http/post.ts";
import { readJsonCapped } from "../upstream/http/read_capped.ts";
import { withoutImages } from "../upstream/http/refused_images.ts";
import { withoutDocuments } from "../upstream/http/refused_documents.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { messageOf } from "../core/errors.ts";

/** One count request. */
export interface CountUpstream {
  readonly target: {
    readonly provider: ProviderConfig;
    readonly model: string;
    /** The route variant's settings, as a Messages request to this target gets them. */
    readonly settings?: ModelSettings;
  };
  readonly body: Record<string, unknown>;
  readonly headers: HeaderReader;
  readonly signal: AbortSignal;
  readonly fetch: FetchLike;
  readonly registry: ResilienceRegistry;
  readonly log: Logger;
  /** The session's own keys (session affinity, read only), when it has any. */
  readonly keys?: KeyAffinity;
}

// A count is a convenience: past this, counting locally answers sooner.
const COUNT_TIMEOUT_MS = 10_000;
// A count is `{"input_tokens": N}`: an answer past this is no count, and is not read further.
const MAX_COUNT_ANSWER = 64 * 1024;

/** The upstream's count, or undefined when it cannot give one (then ccp counts locally). */
export async function countUpstream(call: CountUpstream): Promise<number | undefined> {
  const { provider, model } = call.target;
  // Linked by hand: a signal from AbortSignal.any() can be collected while fetch waits on it.
  const abort = new AbortController();
  const cancelTimer = deadline(
    COUNT_TIMEOUT_MS,
    () => abort.abort(new DOMException("count timed out", "TimeoutError")),
  );
  const onClientGone = () => abort.abort(call.signal.reason);
  call.signal.addEventListener("abort", onClientGone, { once: true });
  // The same cleaning as a Messages request (betas and what they bring included), so a strict
  // endpoint counts what it would be sent; a model configured without vision (or PDFs) is sent
  // notes in their place, as Messages are.
  const outgoing = outgoingRequest(provider, call.headers);
  const supports = settingsFor(provider, model, call.target.settings).supports ?? {};
  const noImages = (body: Record<string, unknown>) =>
    supports.images === false ? withoutImages(body) : body;
  const noDocuments = (body: Record<string, unknown>) =>
    supports.documents === false ? withoutDocuments(body) : body;
  // Kept out of what is logged of the count's failures; read only if one is.
  const text = new RequestText(call.body);
  const dispatcher = new Dispatcher<PostSuccess>({
    registry: call.registry,
    log: call.log,
    backoff: { maxRetryAfterMs: 0 },
    // Counting falls back to the local count: no probe during a cool-down the upstream announced.
    probeAnnouncedWaits: false,
    // A count is no verdict on the target's Messages (see judgesTarget).
    judgesTarget: false,
    ...(call.keys ? { affinity: call.keys } : {}),
    // A 5xx or a lost connection is answered with the local count at once: a re-try would only
    // make the client wait for a number it already has. (The chain is this one target: counting
    // at a failover target would take its limits for the same fallback.)
    maxRetries: 0,
    text,
    attempt: (target, key, signal) =>
      callAnthropic({
        provider: target.provider,
        model: target.model,
        body: noDocuments(noImages(outgoing.clean(call.body, target.model))),
        clientHeaders: outgoing.headers,
        key,
        signal,
        fetch: call.fetch,
        path: "messages/count_tokens",
        // What Messages learned about this target (refused betas, no images or PDFs, refused
        // parameters) spares the count a refused round trip; the count itself teaches nothing.
        learned: call.registry.learned,
        learn: false,
      }),
  });
  try {
    const dispatched = await dispatcher.dispatch([{ provider, model }], abort.signal);
    try {
      const json = await readJsonCapped(
        dispatched.result.response,
        MAX_COUNT_ANSWER,
        `The count_tokens endpoint of ${provider.id}/${model}`,
        "a count is a few bytes, so this is none: ccp counts locally",
      ) as { input_tokens?: unknown } | null;
      dispatched.done();
      return typeof json?.input_tokens === "number" ? json.input_tokens : undefined;
    } catch (error) {
      dispatched.done(messageOf(error));
      throw error;
    }
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason;
    call.log.debug(
      `count_tokens upstream failed, counting locally: ${loggedText(messageOf(error), text)}`,
    );
    return undefined;
  } finally {
    cancelTimer();
    call.signal.removeEventListener("abort", onClientGone);
  }
}
