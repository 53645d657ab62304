/**
 * What every translated protocol's stream translator offers the relay stage: upstream SSE
 * messages in, the Anthropic events they complete out. The relay (src/upstream/
 * translated_frames.ts) decodes the bytes, feeds the messages, encodes the events and reads
 * the end, the usage and any error straight off the event objects.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../protocols/anthropic.ts";

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
  /** One upstream SSE message → the Anthropic events it completes. */
  message(message: EventSourceMessage): AnthropicStreamEvent[];
  /** The events that close the stream when the upstream body ends. */
  end(): AnthropicStreamEvent[];
}
