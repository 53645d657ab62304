/**
 * What every translating transport (OpenAI Chat, Responses, Gemini) does once its body is built:
 * send it, count the prompt meanwhile, and open the answer, streamed or JSON, one way.
 */

import { nextEventLoopTurn } from "../core/event_loop.ts";
import { UpstreamError } from "../core/errors.ts";
import { CONTENT_TYPE } from "../core/headers.ts";
import type { AnthropicMessage } from "../protocols/anthropic.ts";
import { capitalise, describeTarget } from "../core/text.ts";
import { relayedAnswer } from "./relayed_answer.ts";
import type { SseTranslation } from "../translate/sse_translation.ts";
import {
  cutMessageAtStopSequence,
  stopSequencesOf,
  withStopSequences,
} from "../translate/anthropic/stop_sequences.ts";
import { keepFirstToolUse, withSingleToolUse } from "../translate/anthropic/single_tool_use.ts";
import { networkCause } from "./errors.ts";
import { applyAuth, applyProviderHeaders, type OutgoingHeaders } from "./http/headers.ts";
import { type PostFailure, postJsonLearning, type PostSuccess } from "./http/post.ts";
import type { FailedStart } from "./http/early_error.ts";
import { DEFAULT_MAX_RESPONSE } from "./transport.ts";
import { readJsonCapped } from "./http/read_capped.ts";
import { reportedCost } from "../core/reported_cost.ts";
import { serverTag } from "../resilience/server_key.ts";
import {
  type Answer,
  type AnswerHooks,
  type AttemptFailure,
  type AttemptSuccess,
  jsonAnswer,
  type TransportRequest,
} from "./transport.ts";

/** The request built for the upstream, in its protocol. */
export interface TranslatedPost {
  readonly url: string;
  readonly body: object;
  /** Whether the body asks for a stream (sets the Accept header). */
  readonly stream: boolean;
  /** The protocol's test for a 2xx answer that failed at its start: it fails the attempt. */
  readonly failedStart?: FailedStart;
}

/** What every protocol's answer translation is told about the request. */
export interface AnswerBasics {
  /** The model name the client asked for; every answer carries it. */
  readonly clientModel: string;
  /** ccp's local count of the prompt. */
  readonly inputTokens: number;
  readonly provider: string;
  readonly upstreamModel: string;
  /** A tag of the provider's server, which reasoning signatures record (server_key.ts). */
  readonly server: string;
}

/**
 * Sends `post` and, once the upstream accepted it, offers its answer through the translation
 * `translationFor` builds (it is given the prompt's count, taken while the request was on its way).
 */
export async function sendTranslated(
  request: TransportRequest,
  post: TranslatedPost,
  translationFor: (basics: AnswerBasics) => AnswerTranslation,
): Promise<AttemptSuccess | AttemptFailure> {
  const sending = postTranslated(request, post);
  const counting = countWhileSending(request);
  const result = await sending;
  if (!result.ok) return result;
  const translation = withClientLimits(
    translationFor({
      clientModel: request.clientModel,
      inputTokens: await counting,
      provider: request.provider.id,
      upstreamModel: request.model,
      server: serverTag(request.provider),
    }),
    stopSequencesOf(request.body.stop_sequences),
    oneToolUseAsked(request.body.tool_choice),
  );
  return {
    ok: true,
    open: (hooks) => openTranslatedAnswer(request, result.response, translation, hooks),
  };
}

/** POSTs a translated body to `url` with the provider's key and headers (no client headers). */
function postTranslated(
  request: TransportRequest,
  { url, body, stream, failedStart }: TranslatedPost,
): Promise<PostSuccess | PostFailure> {
  const { provider } = request;
  const headers: OutgoingHeaders = {
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
  };
  applyAuth(headers, provider.authHeader, request.key);
  applyProviderHeaders(headers, provider);
  return postJsonLearning({
    provider,
    model: request.model,
    url,
    headers,
    json: body as Record<string, unknown>,
    signal: request.signal,
    fetch: request.fetch,
    unreachableHint: request.unreachableHint,
    learned: request.learned,
    log: request.log,
    ...(failedStart ? { failedStart } : {}),
    ...(request.trace ? { trace: request.trace } : {}),
    ...(request.resends ? { resends: request.resends } : {}),
  });
}

/**
 * Bodies up to this size are counted at once. Counting costs up to ~0.6 ms per KB of text the
 * token cache has not seen (a first 64 KB request measured ~40 ms), so only small bodies are
 * sure to cost well under a millisecond.
 */
const COUNT_AT_ONCE_BYTES = 4 * 1024;

/**
 * The request's local input-token count (for `message_start`), begun once the request is on its
 * way. A larger body's count waits for the next turn of the event loop, which writes the request
 * to the network first, so the count overlaps the upstream's wait for its first token. A small
 * body is counted at once: that costs less than the turn.
 */
export function countWhileSending(
  request: Pick<TransportRequest, "bodyBytes" | "inputTokens">,
): Promise<number> {
  const counted = request.bodyBytes !== undefined && request.bodyBytes <= COUNT_AT_ONCE_BYTES
    ? request.inputTokens()
    : nextEventLoopTurn().then(() => request.inputTokens());
  counted.catch(() => {}); // an attempt that fails before needing the count never awaits it
  return counted;
}

/** How one protocol turns its upstream answer into Anthropic. */
export interface AnswerTranslation {
  /** A fresh translation of the upstream's SSE messages into Anthropic events. */
  stream: () => SseTranslation;
  /** The upstream's JSON answer -> an Anthropic Message. */
  message: (json: unknown) => AnthropicMessage;
}

/** True when `tool_choice` asks for at most one tool call. */
function oneToolUseAsked(choice: unknown): boolean {
  return typeof choice === "object" && choice !== null &&
    (choice as { disable_parallel_tool_use?: unknown }).disable_parallel_tool_use === true;
}

/**
 * The client's stop sequences and `disable_parallel_tool_use` applied to the translated answer:
 * where the upstream never got them (an API without the parameter, a model that refused it) the
 * answer still ends at a stop sequence, saying which, and calls one tool at most, as Anthropic's
 * does.
 */
function withClientLimits(
  translation: AnswerTranslation,
  sequences: readonly string[],
  oneToolUse: boolean,
): AnswerTranslation {
  if (sequences.length === 0 && !oneToolUse) return translation;
  // The calls after the first go before the stop sequences are looked for: text that is left
  // out must not end the answer as stop_sequence, or the one call kept would never run.
  return {
    stream: () => {
      const stream = translation.stream();
      return withStopSequences(oneToolUse ? withSingleToolUse(stream) : stream, sequences);
    },
    message: (json) => {
      const message = translation.message(json);
      return cutMessageAtStopSequence(oneToolUse ? keepFirstToolUse(message) : message, sequences);
    },
  };
}

/** Translates an upstream 2xx answer, streamed or not, into what the client asked for. */
async function openTranslatedAnswer(
  request: TransportRequest,
  response: Response,
  translation: AnswerTranslation,
  hooks: AnswerHooks,
): Promise<Answer> {
  // Named only in a failure's message.
  const where = () => capitalise(describeTarget(request.provider.id, request.model));
  const isSse = (response.headers.get(CONTENT_TYPE) ?? "").includes("text/event-stream");
  if (isSse && response.body) {
    // The relay adds what translation alone cannot: an error frame when the upstream
    // connection breaks, usage for the log, and cancellation when the client leaves.
    return await relayedAnswer(request, response.body, hooks, translation.stream());
  }
  let json: unknown;
  try {
    json = await readJsonCapped(response, request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE, where);
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(
      "api_error",
      `${where()} sent an unreadable JSON answer: ${networkCause(error)}`,
      { status: 502 },
    );
  }
  const message = translation.message(json);
  const cost = reportedCost((json as { usage?: unknown } | null)?.usage);
  return jsonAnswer(message, request.body.stream === true, hooks, cost);
}
