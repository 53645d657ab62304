/** A streamed Anthropic answer collected into one Message, for clients that asked for JSON. */

import type { AnthropicMessage, AnthropicStreamEvent } from "../protocols/anthropic.ts";
import { accumulateAnthropicEvents } from "../translate/anthropic/accumulate.ts";
import { SseMessageDecoder } from "../translate/sse_decoder.ts";

/**
 * Reads a checked Anthropic SSE stream (the relay's output) to its end and builds the Message;
 * an `event: error` in it throws the matching UpstreamError.
 */
export async function collectMessage(
  stream: ReadableStream<Uint8Array>,
): Promise<AnthropicMessage> {
  const decoder = new SseMessageDecoder();
  const events: AnthropicStreamEvent[] = [];
  const take = (messages: ReturnType<SseMessageDecoder["push"]>) => {
    for (const message of messages) {
      if (message.event === "ping" || message.data === "") continue;
      // The relay let only well-formed JSON through.
      events.push(JSON.parse(message.data) as AnthropicStreamEvent);
    }
  };
  for await (const chunk of stream) take(decoder.push(chunk));
  take(decoder.end());
  return accumulateAnthropicEvents(events);
}
