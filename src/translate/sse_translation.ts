/**
 * What every translated protocol's stream translator offers the relay stage: upstream SSE
 * messages in, the Anthropic events they complete out. The relay (src/upstream/
 * translated_frames.ts) decodes the bytes, feeds the messages, encodes the events and reads
 * the end, the usage and any error straight off the event objects.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../protocols/anthropic.ts";

/**
 * Prompt counts the upstream reported in the chunks read so far, before any event carries them
 * (Gemini sends `usageMetadata` with its chunks, usage reaches the client only at the end), and
 * what it said the answer cost, which no Anthropic event carries.
 */
export interface ReportedUsage {
  readonly inputTokens?: number;
  readonly cacheReadInputTokens?: number;
  /** What the upstream counted of an answer it cut short (its usage rode with the error). */
  readonly outputTokens?: number;
  readonly costUsd?: number;
}

/** One stream's stateful translation. */
export interface SseTranslation {
  /** True once the translation has ended: nothing more is read. */
  readonly done: boolean;
  /**
   * True once the upstream said the answer is finished but the translation still reads on, for
   * what may follow and is optional (a usage chunk, `[DONE]`): the relay waits only briefly for
   * it. Absent where the protocol's last event ends the translation by itself.
   */
  readonly finishing?: boolean;
  /** What the upstream reported so far, for a stream cut short before its usage was sent. */
  readonly reported?: ReportedUsage;
  /** One upstream SSE message -> the Anthropic events it completes. */
  message(message: EventSourceMessage): AnthropicStreamEvent[];
  /** The events that close the stream when the upstream body ends. */
  end(): AnthropicStreamEvent[];
}

/** What the relay reads off a protocol's translator, besides the events its steps return. */
export interface StreamTranslator {
  readonly done: boolean;
  readonly finishing?: boolean;
  readonly reported?: ReportedUsage;
  end(): AnthropicStreamEvent[];
}

/** `translator` as the relay stage sees it, each SSE message handed to it through `read`. */
export function sseTranslation<T extends StreamTranslator>(
  translator: T,
  read: (translator: T, message: EventSourceMessage) => AnthropicStreamEvent[],
): SseTranslation {
  return {
    get done() {
      return translator.done;
    },
    get finishing() {
      return translator.finishing;
    },
    get reported() {
      return translator.reported;
    },
    message: (message) => read(translator, message),
    end: () => translator.end(),
  };
}
