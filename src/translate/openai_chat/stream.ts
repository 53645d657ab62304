/**
 * The streaming path. Logically a pipe of small stages -- decode bytes, parse SSE
 * (`eventsource-parser`), parse JSON (`toUpstreamEvent`), translate (the one stateful
 * stage), encode Anthropic SSE -- each a separate unit tested on its own.
 *
 * Two ways to run them:
 * - `openAIStreamToAnthropicEvents`: one TransformStream per stage
 *   (`TextDecoderStream -> EventSourceParserStream -> OpenAIToAnthropicStream`), yielding
 *   Anthropic event objects for callers that want to inspect them;
 * - `openAIChatTranslation`: the translation the relay stage runs for serving
 *   (src/upstream/translated_frames.ts), which decodes, translates and encodes in the one
 *   stream stage that relays the answer, because every stream hop costs per chunk; output is
 *   byte-identical (tested).
 *
 * Backpressure and cancellation travel either way: when the client goes away the cancel
 * reaches the upstream body, and when translation ends (finish, error, malformed chunk)
 * the upstream is cancelled instead of read to its end.
 */

import { EventSourceParserStream } from "eventsource-parser/stream";
import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import { TerminateLastEventStream, toUpstreamEvent } from "./events.ts";
import { OpenAIToAnthropicTranslator, type TranslateOptions } from "./translator.ts";
import { type SseTranslation, sseTranslation } from "../sse_translation.ts";

function translate(
  translator: OpenAIToAnthropicTranslator,
  message: EventSourceMessage,
): AnthropicStreamEvent[] {
  const event = toUpstreamEvent(message);
  return event ? translator.push(event) : [];
}

/** TransformStream stage: parsed upstream SSE messages -> Anthropic events. */
class OpenAIToAnthropicStream extends TransformStream<EventSourceMessage, AnthropicStreamEvent> {
  constructor(options: TranslateOptions) {
    const translator = new OpenAIToAnthropicTranslator(options);
    super({
      transform(message, controller) {
        for (const e of translate(translator, message)) controller.enqueue(e);
        // Finished or failed: close our side now and let the pipe cancel the upstream.
        if (translator.done) controller.terminate();
      },
      flush(controller) {
        for (const e of translator.end()) controller.enqueue(e);
      },
    });
  }
}

/** A Chat Completions stream's translation, for the relay stage. */
export function openAIChatTranslation(options: TranslateOptions): SseTranslation {
  return sseTranslation(new OpenAIToAnthropicTranslator(options), translate);
}

/** Upstream SSE bytes -> Anthropic stream events, one stream stage per step. */
export function openAIStreamToAnthropicEvents(
  body: ReadableStream<Uint8Array>,
  options: TranslateOptions,
): ReadableStream<AnthropicStreamEvent> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new TerminateLastEventStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(new OpenAIToAnthropicStream(options));
}
