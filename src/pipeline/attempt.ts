/**
 * One attempt at one target of a route: the transport's request with the attempt's own
 * transforms and model settings, recorded in the request's record however it ends.
 */

import type { ModelSettings, ProviderConfig, Transform } from "../config/types.ts";
import { messageOf, UpstreamError } from "../core/errors.ts";
import { loggedText } from "../core/logged_text.ts";
import type { RequestText } from "../core/request_text.ts";
import { providerSecrets, scrubSecrets } from "../core/secrets.ts";
import { describeFailure } from "../resilience/describe.ts";
import type { DispatchTarget } from "../resilience/dispatcher.ts";
import { labelOf } from "../resilience/key_pool.ts";
import type {
  AttemptFailure,
  AttemptSuccess,
  ChainRequest,
  Transports,
} from "../upstream/transport.ts";
import type { AttemptRecord } from "./record.ts";
import type { Recorder } from "./recorder.ts";
import { applyTransforms } from "./transforms.ts";
import { readPdfTextsFor } from "./pdf_texts.ts";
import { threadRefusal } from "./threads.ts";
import { collectedAttempt } from "./collected_attempt.ts";
import { AttemptTrace } from "../observe/tracing/attempt_trace.ts";

/** What one attempt is sent with. */
export interface AttemptInput {
  readonly request: ChainRequest;
  readonly target: DispatchTarget;
  readonly key: string | undefined;
  readonly signal: AbortSignal;
  readonly transports: Transports;
  /** The route's declared transforms for this target's provider. */
  readonly changes: readonly Transform[];
  readonly settings: ModelSettings | undefined;
  /**
   * How the client's own credential is named (`client credential (...abcd)`), for a target sent
   * it (`auth: passthrough`): the record tells users' plans apart by it, never by more.
   */
  readonly credentialLabel?: string;
  /** The request's own text, left out of the failure's reason. */
  readonly text?: RequestText;
  /** Aborted when ccp shuts down (an answer collected then ends with an error saying so). */
  readonly shutdown?: AbortSignal;
}

// An attempt's reason when its client left before the answer was whole.
const CLIENT_LEFT = "client disconnected";

/** Sends one attempt and records it, also when it throws (the client left before the answer). */
export async function recordedAttempt(
  input: AttemptInput,
  recorder: Recorder,
): Promise<AttemptSuccess | AttemptFailure> {
  const { request, target, key, signal, changes } = input;
  // While tracing is on, the attempt's span id is made now: its upstream is told it.
  const start = recorder.record.trace;
  const trace = start
    ? new AttemptTrace(start, request.clientHeaders.get("tracestate"))
    : undefined;
  const tried = {
    provider: target.provider.id,
    model: target.model,
    keyLabel: input.credentialLabel ?? keyLabel(target.provider, key),
    startedAt: Date.now(),
  };
  // Before the clock starts: reading a PDF's text once is ccp's work, not the upstream's time.
  await readPdfTextsFor(request.body, { ...target, settings: input.settings }, request.learned);
  const began = performance.now();
  trace?.sending();
  const transport = input.transports[target.provider.type];
  let result: AttemptSuccess | AttemptFailure;
  try {
    const body = changes.length > 0 ? applyTransforms(request.body, changes) : request.body;
    const refused = threadRefusal(body, target.provider, target.model);
    if (refused) throw refused;
    result = transport
      ? await transport.send({
        ...request,
        body,
        provider: target.provider,
        model: target.model,
        key,
        signal,
        settings: input.settings,
        ...(trace ? { trace } : {}),
      })
      : unsupported(target.provider);
    // A JSON client is sent nothing before its answer ends: a stream that breaks on the way is
    // this attempt's failure, so the request moves on at once rather than end with the error.
    if (result.ok && body.stream !== true) result = await collectedAttempt(result, input.shutdown);
  } catch (error) {
    // The request did reach this target (Esc in Claude Code before the model answered throws
    // here): the log line, the ledger and the status line still name it.
    recorder.attempt({
      ...tried,
      ...(trace ? tracedTries(trace) : {}),
      outcome: "failed",
      reason: signal.aborted ? CLIENT_LEFT : loggedText(
        scrubSecrets(messageOf(error), providerSecrets(target.provider)),
        input.text,
      ),
      durationMs: performance.now() - began,
    });
    throw error;
  }
  recorder.attempt({
    ...tried,
    ...(trace ? tracedTries(trace) : {}),
    ...(result.ok ? { status: 200 } : result.status ? { status: result.status } : {}),
    outcome: result.ok ? "answered" : "failed",
    // A JSON client that left while its answer was collected broke that read: it left.
    ...(result.ok ? {} : {
      reason: signal.aborted
        ? CLIENT_LEFT
        : loggedText(describeFailure(result, providerSecrets(target.provider)), input.text),
    }),
    durationMs: performance.now() - began,
  });
  return result;
}

/** The span ids its upstream was told: the last try's, and those of the tries sent again. */
function tracedTries(trace: AttemptTrace): Pick<AttemptRecord, "spanId" | "resent"> {
  return trace.resent.length > 0
    ? { spanId: trace.spanId, resent: trace.resent }
    : { spanId: trace.spanId };
}

function keyLabel(provider: ProviderConfig, key: string | undefined): string {
  if (key === undefined) return labelOf("", 0);
  return labelOf(key, Math.max(0, provider.apiKeys.indexOf(key)));
}

function unsupported(provider: ProviderConfig): AttemptFailure {
  return {
    ok: false,
    error: new UpstreamError(
      "api_error",
      `Provider "${provider.id}" uses the ${provider.type} protocol, which this build of ccp cannot speak yet`,
      { status: 501 },
    ),
  };
}
