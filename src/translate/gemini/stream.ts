/**
 * The streaming path for Gemini: upstream SSE bytes → SSE messages (`eventsource-parser`)
 * → events (`toGeminiEvent`) → the translator → Anthropic SSE bytes, fused into one
 * TransformStream (fused_sse_stream.ts).
 */

import { FusedSseStream } from "../fused_sse_stream.ts";
import { toGeminiEvent } from "./events.ts";
import { GeminiToAnthropicTranslator, type GeminiTranslateOptions } from "./translator.ts";

/** The fused serving stage: Gemini SSE bytes → Anthropic SSE bytes, one chunk out per chunk in. */
export class GeminiToAnthropicSseStream extends FusedSseStream {
  constructor(options: GeminiTranslateOptions) {
    const translator = new GeminiToAnthropicTranslator(options);
    super({
      get done() {
        return translator.done;
      },
      message: (message) => {
        const event = toGeminiEvent(message);
        return event ? translator.push(event) : [];
      },
      end: () => translator.end(),
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
