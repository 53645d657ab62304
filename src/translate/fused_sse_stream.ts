/**
 * The fused serving stage every translated protocol shares: upstream SSE bytes → SSE messages →
 * the protocol's stateful translator → Anthropic SSE bytes, in one TransformStream, because each
 * stream hop costs per chunk. One chunk out per chunk in (nothing when a chunk completed no
 * event). When the translation ends (finish, error, malformed event) the stage terminates, so
 * the pipe cancels the upstream instead of reading it to its end; when the client leaves, the
 * cancel reaches the upstream.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../protocols/anthropic.ts";
import { encodeAnthropicEvents } from "./anthropic/sse.ts";
import { SseMessageDecoder } from "./sse_decoder.ts";

/** What the fused stage asks of a protocol's translator. */
export interface SseTranslation {
  /** True once the translation has ended: nothing more is read. */
  readonly done: boolean;
  /** Events to send before the first upstream event, if any. */
  start?(): AnthropicStreamEvent[];
  /** One upstream SSE message → the Anthropic events it completes. */
  message(message: EventSourceMessage): AnthropicStreamEvent[];
  /** The events that close the stream when the upstream body ends. */
  end(): AnthropicStreamEvent[];
}

/** Upstream SSE bytes → Anthropic SSE bytes through `translation`. */
export class FusedSseStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(translation: SseTranslation) {
    const decoder = new SseMessageDecoder();
    const translate = (messages: EventSourceMessage[], out: AnthropicStreamEvent[]) => {
      for (const message of messages) {
        out.push(...translation.message(message));
        if (translation.done) break;
      }
      return out;
    };
    const emit = (
      events: AnthropicStreamEvent[],
      controller: TransformStreamDefaultController<Uint8Array>,
    ) => {
      if (events.length > 0) controller.enqueue(encodeAnthropicEvents(events));
    };
    super({
      start(controller) {
        if (translation.start) emit(translation.start(), controller);
      },
      transform(bytes, controller) {
        emit(translate(decoder.push(bytes), []), controller);
        // Finished or failed: close our side now and let the pipe cancel the upstream.
        if (translation.done) controller.terminate();
      },
      flush(controller) {
        const out = translate(decoder.end(), []);
        out.push(...translation.end());
        emit(out, controller);
      },
    });
  }
}
