/**
 * The streaming path for the Responses API: upstream SSE bytes → Anthropic SSE bytes in one
 * fused stage (decode, parse SSE, parse JSON, translate, encode), one chunk out per chunk in.
 * When translation ends (completion, failure, malformed event) the stage terminates, so the
 * upstream is cancelled instead of read to its end.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import type { ResponsesStreamEvent } from "../../protocols/openai_responses.ts";
import { encodeAnthropicEvents } from "../anthropic/sse.ts";
import { SseMessageDecoder } from "../sse_decoder.ts";
import { ResponsesToAnthropicTranslator, type ResponsesTranslateOptions } from "./translator.ts";

/** Feeds one SSE message to the translator. */
export function translateMessage(
  translator: ResponsesToAnthropicTranslator,
  message: EventSourceMessage,
): AnthropicStreamEvent[] {
  const data = message.data.trim();
  if (data === "" || data === "[DONE]") return [];
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return translator.malformed(`not JSON: ${data.slice(0, 80)}`);
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return translator.malformed("not a JSON object");
  }
  const typed = event as ResponsesStreamEvent;
  // The `event:` line names the type when a server leaves it out of the data.
  if (typeof typed.type !== "string") typed.type = message.event ?? "";
  return translator.push(typed);
}

/** The fused serving stage. */
export class ResponsesToAnthropicSseStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(options: ResponsesTranslateOptions) {
    const translator = new ResponsesToAnthropicTranslator(options);
    const decoder = new SseMessageDecoder();
    const emit = (
      events: AnthropicStreamEvent[],
      controller: TransformStreamDefaultController<Uint8Array>,
    ) => {
      if (events.length > 0) controller.enqueue(encodeAnthropicEvents(events));
    };
    super({
      transform(bytes, controller) {
        const out: AnthropicStreamEvent[] = [];
        for (const message of decoder.push(bytes)) {
          out.push(...translateMessage(translator, message));
          if (translator.done) break;
        }
        emit(out, controller);
        if (translator.done) controller.terminate();
      },
      flush(controller) {
        const out: AnthropicStreamEvent[] = [];
        for (const message of decoder.end()) out.push(...translateMessage(translator, message));
        out.push(...translator.end());
        emit(out, controller);
      },
    });
  }
}

/** Upstream Responses SSE bytes → Anthropic SSE bytes, for serving. */
export function responsesStreamToAnthropicSSE(
  body: ReadableStream<Uint8Array>,
  options: ResponsesTranslateOptions,
): ReadableStream<Uint8Array> {
  return body.pipeThrough(new ResponsesToAnthropicSseStream(options));
}
