/**
 * `tool_choice.disable_parallel_tool_use`, applied to the answer ccp relays: at most one
 * `tool_use` block, as Anthropic promises. Gemini has no such switch and some OpenAI-compatible
 * servers refuse `parallel_tool_calls`, so their answers may call several tools at once; the
 * calls after the first are left out (the stop reason stays `tool_use`).
 */

import type { AnthropicMessage, AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import type { SseTranslation } from "../sse_translation.ts";

// What still goes out once the first call has ended: the end of the message.
const ENDING = new Set(["message_delta", "message_stop", "error", "ping"]);

/** Drops the blocks after the first `tool_use` block of a stream of Anthropic events. */
export class SingleToolUseFilter {
  #call: number | undefined;
  #ended = false;

  /** The events that go out for `events`. */
  push(events: readonly AnthropicStreamEvent[]): AnthropicStreamEvent[] {
    const out: AnthropicStreamEvent[] = [];
    for (const event of events) {
      if (this.#ended) {
        if (ENDING.has(event.type)) out.push(event);
        continue;
      }
      out.push(event);
      if (event.type === "content_block_start" && event.content_block.type === "tool_use") {
        this.#call = event.index;
      } else if (event.type === "content_block_stop" && event.index === this.#call) {
        this.#ended = true;
      }
    }
    return out;
  }
}

/** `translation` with at most one `tool_use` block in the events it produces. */
export function withSingleToolUse(translation: SseTranslation): SseTranslation {
  const filter = new SingleToolUseFilter();
  return {
    get done() {
      return translation.done;
    },
    get finishing() {
      return translation.finishing;
    },
    // What the upstream counted so far stands for a stream cut short, in the log and the ledger.
    get reported() {
      return translation.reported;
    },
    message: (message) => filter.push(translation.message(message)),
    end: () => filter.push(translation.end()),
  };
}

/** A complete answer cut after its first `tool_use` block. */
export function keepFirstToolUse(message: AnthropicMessage): AnthropicMessage {
  const first = message.content.findIndex((block) => block.type === "tool_use");
  if (first < 0 || first === message.content.length - 1) return message;
  return { ...message, content: message.content.slice(0, first + 1) };
}
