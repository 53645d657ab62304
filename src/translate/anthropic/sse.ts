/** Encoding of Anthropic stream events as SSE bytes. */

import { encodedText } from "../../core/byte_slab.ts";
import { sseFrame } from "../../core/sse.ts";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";

/**
 * One event as SSE text. Deltas are most of a stream, so their JSON is assembled around
 * `JSON.stringify` of the payload string (same bytes as serialising the whole object,
 * half the cost); every other event goes through `sseFrame`.
 */
function anthropicEventText(event: AnthropicStreamEvent): string {
  if (event.type !== "content_block_delta") return sseFrame(event.type, event);
  const d = event.delta;
  const head =
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":${event.index},"delta":`;
  switch (d.type) {
    case "text_delta":
      return `${head}{"type":"text_delta","text":${JSON.stringify(d.text)}}}\n\n`;
    case "thinking_delta":
      return `${head}{"type":"thinking_delta","thinking":${JSON.stringify(d.thinking)}}}\n\n`;
    case "input_json_delta":
      return `${head}{"type":"input_json_delta","partial_json":${
        JSON.stringify(d.partial_json)
      }}}\n\n`;
    default:
      return sseFrame(event.type, event);
  }
}

/** Encodes several events as one byte chunk (one write downstream instead of many). */
export function encodeAnthropicEvents(events: readonly AnthropicStreamEvent[]): Uint8Array {
  if (events.length === 1) return encodedText(anthropicEventText(events[0]!));
  let text = "";
  for (const event of events) text += anthropicEventText(event);
  return encodedText(text);
}
