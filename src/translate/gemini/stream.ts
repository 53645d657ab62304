/**
 * The streaming path for Gemini: upstream SSE bytes -> SSE messages (`eventsource-parser`)
 * -> events (`toGeminiEvent`) -> the translator -> Anthropic SSE bytes, all in the relay stage
 * (src/upstream/translated_frames.ts).
 */

import { type SseTranslation, sseTranslation } from "../sse_translation.ts";
import { toGeminiEvent } from "./events.ts";
import { GeminiToAnthropicTranslator, type GeminiTranslateOptions } from "./translator.ts";

/** A Gemini stream's translation, for the relay stage. */
export function geminiTranslation(options: GeminiTranslateOptions): SseTranslation {
  return sseTranslation(new GeminiToAnthropicTranslator(options), (translator, message) => {
    const event = toGeminiEvent(message);
    return event ? translator.push(event) : [];
  });
}
