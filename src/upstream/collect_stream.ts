/** A streamed Anthropic answer collected into one Message, for clients that asked for JSON. */

import type { AnthropicMessage, AnthropicStreamEvent } from "../protocols/anthropic.ts";
import { accumulateAnthropicEvents } from "../translate/anthropic/accumulate.ts";
import { SseMessageDecoder } from "../translate/sse_decoder.ts";
import { tooLarge } from "./http/read_capped.ts";

/**
 * Reads a checked Anthropic SSE stream (the relay's output) to its end and builds the Message;
 * an `event: error` in it throws the matching UpstreamError, and a stream past `maxBytes` a 502
 * naming `where` (the stream is cancelled).
 */
export async function collectMessage(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  where: string,
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
  // Held whole until its end, as a JSON answer is: an upstream that streams without end (or
  // sends gigabytes compressed to little) is stopped at the same limit.
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(where, maxBytes);
    take(decoder.push(chunk));
  }
  take(decoder.end());
  return accumulateAnthropicEvents(events);
}
