/**
 * The Chat Completions stream translation built as one stream stage per step, from the library's
 * SSE parser (`TextDecoderStream -> EventSourceParserStream -> translator -> SSE encoder`): a
 * reference the relay stage, which does all of it in one stage with its own decoder, must match
 * byte for byte (and the bench's measure of what the fused stage saves).
 */

import { EventSourceParserStream } from "eventsource-parser/stream";
import { sseFrame } from "../../src/core/sse.ts";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import { toUpstreamEvent } from "../../src/translate/openai_chat/events.ts";
import {
  OpenAIToAnthropicTranslator,
  type TranslateOptions,
} from "../../src/translate/openai_chat/translator.ts";

const encoder = new TextEncoder();

/** Upstream SSE bytes -> Anthropic stream events, one stream stage per step. */
export function openAIStreamToAnthropicEvents(
  body: ReadableStream<Uint8Array>,
  options: TranslateOptions,
): ReadableStream<AnthropicStreamEvent> {
  const translator = new OpenAIToAnthropicTranslator(options);
  return body
    .pipeThrough(new TextDecoderStream())
    // A last event sent without its blank line (`data: [DONE]` at EOF) still counts.
    .pipeThrough(
      new TransformStream<string, string>({ flush: (controller) => controller.enqueue("\n\n") }),
    )
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream({
        transform(message, controller) {
          const event = toUpstreamEvent(message);
          for (const e of event ? translator.push(event) : []) controller.enqueue(e);
          // Finished or failed: close this side and let the pipe cancel the upstream.
          if (translator.done) controller.terminate();
        },
        flush(controller) {
          for (const e of translator.end()) controller.enqueue(e);
        },
      }),
    );
}

/** Anthropic events -> SSE bytes, one frame per event. */
export function anthropicSseEncoder(): TransformStream<AnthropicStreamEvent, Uint8Array> {
  return new TransformStream({
    transform(event, controller) {
      controller.enqueue(encoder.encode(sseFrame(event.type, event)));
    },
  });
}
