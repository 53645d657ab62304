/**
 * Builds the Anthropic Message JSON from a sequence of stream events, the way the
 * Anthropic SDK's accumulator does; used by the non-streaming path so both paths share
 * the translator.
 */

import { UpstreamError } from "../../core/errors.ts";
import { clientErrorOfType } from "../../core/upstream_status.ts";
import type {
  AnthropicMessage,
  AnthropicStreamEvent,
  ContentBlock,
} from "../../protocols/anthropic.ts";

function parseInput(json: string): unknown {
  if (json.trim() === "") return {};
  try {
    return JSON.parse(json);
  } catch {
    return json; // invalid arguments stay visible rather than silently becoming {}
  }
}

/**
 * Accumulates events into a Message; an `error` event throws an `UpstreamError`
 * (status 502 unless the type says otherwise).
 */
export function accumulateAnthropicEvents(
  events: Iterable<AnthropicStreamEvent>,
): AnthropicMessage {
  let message: AnthropicMessage | undefined;
  const json = new Map<number, string>();
  for (const event of events) {
    switch (event.type) {
      case "message_start":
        message = { ...event.message, content: [], usage: { ...event.message.usage } };
        break;
      case "content_block_start": {
        const block = event.content_block;
        const copy: ContentBlock = block.type === "tool_use"
          ? { ...block, input: {} }
          : { ...block };
        message?.content.push(copy);
        if (block.type === "tool_use") json.set(event.index, "");
        break;
      }
      case "content_block_delta": {
        const block = message?.content[event.index];
        const d = event.delta;
        if (!block) break;
        if (d.type === "text_delta" && block.type === "text") block.text += d.text;
        else if (d.type === "thinking_delta" && block.type === "thinking") {
          block.thinking += d.thinking;
        } else if (d.type === "signature_delta" && block.type === "thinking") {
          block.signature = d.signature;
        } else if (d.type === "input_json_delta") {
          json.set(event.index, (json.get(event.index) ?? "") + d.partial_json);
        }
        break;
      }
      case "content_block_stop": {
        const block = message?.content[event.index];
        if (block?.type === "tool_use") block.input = parseInput(json.get(event.index) ?? "");
        break;
      }
      case "message_delta":
        if (!message) break;
        message.stop_reason = event.delta.stop_reason;
        message.stop_sequence = event.delta.stop_sequence;
        // As the SDK's accumulator does: the stop details are the delta's, a container only
        // replaces the start's when the delta names one.
        message.stop_details = event.delta.stop_details ?? null;
        if (event.delta.container) message.container = event.delta.container;
        message.usage = { ...message.usage, ...event.usage };
        break;
      case "error": {
        // One status table for every path: an upstream's 401 is never the client's own login.
        const { status, type } = clientErrorOfType(event.error.type);
        throw new UpstreamError(type, event.error.message, { status });
      }
      default:
        break;
    }
  }
  if (!message) {
    throw new UpstreamError("api_error", "Upstream answer produced no message", { status: 502 });
  }
  return message;
}
