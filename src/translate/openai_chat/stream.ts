/**
 * The streaming path. Logically a pipe of small stages -- decode bytes, parse SSE
 * (`eventsource-parser`), parse JSON (`toUpstreamEvent`), translate (the one stateful
 * stage), encode Anthropic SSE -- each a separate unit tested on its own.
 *
 * `openAIChatTranslation` is the translation the relay stage runs for serving
 * (src/upstream/translated_frames.ts), which decodes, translates and encodes in the one stream
 * stage that relays the answer, because every stream hop costs per chunk. Its output is tested
 * byte for byte against the same steps built as one stream stage each
 * (tests/translate/_staged_pipe.ts).
 *
 * Backpressure and cancellation travel through the relay stage: when the client goes away the
 * cancel reaches the upstream body, and when translation ends (finish, error, malformed chunk)
 * the upstream is cancelled instead of read to its end.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import { toUpstreamEvent } from "./events.ts";
import { OpenAIToAnthropicTranslator, type TranslateOptions } from "./translator.ts";
import { type SseTranslation, sseTranslation } from "../sse_translation.ts";

function translate(
  translator: OpenAIToAnthropicTranslator,
  message: EventSourceMessage,
): AnthropicStreamEvent[] {
  const event = toUpstreamEvent(message);
  return event ? translator.push(event) : [];
}

/** A Chat Completions stream's translation, for the relay stage. */
export function openAIChatTranslation(options: TranslateOptions): SseTranslation {
  return sseTranslation(new OpenAIToAnthropicTranslator(options), translate);
}
