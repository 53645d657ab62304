/**
 * The streaming path for Gemini: upstream SSE bytes → SSE messages (`eventsource-parser`)
 * → events (`toGeminiEvent`) → the translator → Anthropic SSE bytes, fused into one
 * TransformStream (each stream hop costs per chunk; see openai_stream.ts). When the
 * translation ends (finish, error, malformed chunk) the stage terminates and the pipe
 * cancels the upstream body; when the client leaves, the cancel reaches the upstream.
 */

import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import { encodeAnthropicEvents } from "../anthropic/sse.ts";
import { toGeminiEvent } from "./events.ts";
import { GeminiToAnthropicTranslator, type GeminiTranslateOptions } from "./translator.ts";
import { SseMessageDecoder } from "../sse_decoder.ts";

/** The fused serving stage: Gemini SSE bytes → Anthropic SSE bytes, one chunk out per chunk in. */
export class GeminiToAnthropicSseStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(options: GeminiTranslateOptions) {
    const translator = new GeminiToAnthropicTranslator(options);
    const decoder = new SseMessageDecoder();
    const emit = (
      events: AnthropicStreamEvent[],
      controller: TransformStreamDefaultController<Uint8Array>,
    ) => {
      if (events.length > 0) controller.enqueue(encodeAnthropicEvents(events));
    };
    const translate = (messages: ReturnType<SseMessageDecoder["push"]>) => {
      const out: AnthropicStreamEvent[] = [];
      for (const message of messages) {
        const event = toGeminiEvent(message);
        if (event) out.push(...translator.push(event));
        if (translator.done) break;
      }
      return out;
    };
    super({
      transform(bytes, controller) {
        emit(translate(decoder.push(bytes)), controller);
        // Failed: close our side now and let the pipe cancel the upstream.
        if (translator.done) controller.terminate();
      },
      flush(controller) {
        emit([...translate(decoder.end()), ...translator.end()], controller);
      },
    });
  }
}

/** Upstream SSE bytes (a `streamGenerateContent?alt=sse` body) → Anthropic SSE bytes. */
export function geminiStreamToAnthropicSSE(
  body: ReadableStream<Uint8Array>,
  options: GeminiTranslateOptions,
): ReadableStream<Uint8Array> {
  return body.pipeThrough(new GeminiToAnthropicSseStream(options));
}
