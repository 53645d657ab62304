/**
 * The translating frame source of the relay stage: upstream SSE bytes (OpenAI, Gemini,
 * Responses) -> SSE messages -> the protocol's translator -> Anthropic SSE bytes. The events are
 * ccp's own objects, so the end, the usage and any error are read off them, never parsed back
 * out of the bytes written.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../protocols/anthropic.ts";
import { encodeAnthropicEvents } from "../translate/anthropic/sse.ts";
import { wordsOf } from "../translate/anthropic/error_words.ts";
import { SseMessageDecoder } from "../translate/sse_decoder.ts";
import type { SseTranslation } from "../translate/sse_translation.ts";
import { deltaChars, errorVerdict, noteUsageCounts } from "./anthropic/stream_events.ts";
import {
  eventTooLarge,
  type Frames,
  type FrameSource,
  MAX_EVENT_SIZE,
  relayFrames,
  type RelayHooks,
} from "./relay_stream.ts";
import type { UsageTotals } from "./transport.ts";

/** Relays an upstream stream of another protocol to the client, translated by `translation`. */
export function relayTranslatedStream(
  upstream: ReadableStream<Uint8Array>,
  translation: SseTranslation,
  hooks: RelayHooks,
): ReadableStream<Uint8Array> {
  return relayFrames(upstream, new TranslatedFrames(translation, hooks.describeUpstream), hooks);
}

/** Upstream bytes -> the Anthropic events the translation completes, encoded in one chunk. */
class TranslatedFrames implements FrameSource {
  readonly #usage: UsageTotals = {};
  // A message_delta carries the upstream's own counts: until one came, its reports stand in.
  #delta = false;
  stopReason: string | undefined;
  answerChars = 0;
  // A chunk is decoded (copied into text) as it is pushed: nothing keeps its bytes.
  readonly borrowsChunks = true;
  readonly #decoder = new SseMessageDecoder();
  readonly #translation: SseTranslation;
  readonly #describeUpstream: string;
  // Bytes of the event not finished yet (as far as the chunks show it).
  #pending = 0;

  constructor(translation: SseTranslation, describeUpstream: string) {
    this.#translation = translation;
    this.#describeUpstream = describeUpstream;
  }

  /**
   * Counts read off the events; for a stream cut short, the prompt count the upstream reported.
   * What the upstream said the answer cost stands either way: no event carries it.
   */
  get usage(): UsageTotals {
    const reported = this.#translation.reported;
    if (!reported) return this.#usage;
    if (!this.#delta) return { ...this.#usage, ...reported };
    const costUsd = reported.costUsd;
    return costUsd === undefined ? this.#usage : { ...this.#usage, costUsd };
  }

  /** The translation's word: the upstream said the answer is finished. */
  get finishing(): boolean {
    return this.#translation.finishing === true;
  }

  push(bytes: Uint8Array): Frames {
    const messages = this.#decoder.push(bytes);
    if (messages.length === 0) {
      this.#pending += bytes.byteLength;
      return this.#pending <= MAX_EVENT_SIZE ? {} : { end: eventTooLarge(this.#describeUpstream) };
    }
    // An event begun after the last one this chunk ended counts from here.
    this.#pending = bytesAfterLastEventEnd(bytes);
    const frames = this.#frames(this.#translate(messages));
    if (frames.end || this.#pending <= MAX_EVENT_SIZE) return frames;
    return { ...frames, end: eventTooLarge(this.#describeUpstream) };
  }

  end(): Frames {
    const events = this.#translate(this.#decoder.end());
    for (const event of this.#translation.end()) events.push(event);
    return this.#frames(events);
  }

  /** Feeds messages to the translation until it is done; the events it returned, in order. */
  #translate(messages: EventSourceMessage[]): AnthropicStreamEvent[] {
    const translation = this.#translation;
    const events: AnthropicStreamEvent[] = [];
    for (const message of messages) {
      for (const event of translation.message(message)) events.push(event);
      if (translation.done) break;
    }
    return events;
  }

  /** Encodes the events up to the stream's end, if they reach it, and says how it ended. */
  #frames(events: AnthropicStreamEvent[]): Frames {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case "message_start":
          noteUsageCounts(this.#usage, event.message.usage);
          break;
        case "message_delta":
          noteUsageCounts(this.#usage, event.usage);
          this.#delta = true;
          // A later delta with only usage keeps the reason given before.
          this.stopReason = event.delta.stop_reason ?? this.stopReason;
          break;
        case "content_block_delta":
          this.answerChars += deltaChars(event);
          break;
        case "message_stop":
          return { bytes: encodeAnthropicEvents(events.slice(0, i + 1)), end: { kind: "stop" } };
        case "error": {
          const { message, type } = errorVerdict(event.error);
          const end = { kind: "error", message, type, ...wordsOf(event) } as const;
          return i > 0 ? { bytes: encodeAnthropicEvents(events.slice(0, i)), end } : { end };
        }
      }
    }
    const bytes = events.length > 0 ? encodeAnthropicEvents(events) : undefined;
    // A translation that ended without its stop or an error: nothing more will be read.
    if (this.#translation.done) return { ...(bytes ? { bytes } : {}), end: { kind: "cut" } };
    return bytes ? { bytes } : {};
  }
}

/**
 * Bytes after the last blank line (`\n\n`, `\r\r` or `\r\n\r\n`) in `bytes`: the start of an
 * event not finished yet. A blank line split across chunks is not found here, and then the
 * whole chunk counts: at most one read more than the event holds.
 */
function bytesAfterLastEventEnd(bytes: Uint8Array): number {
  for (let i = bytes.byteLength - 1; i > 0; i--) {
    const b = bytes[i]!;
    if (b !== 0x0a && b !== 0x0d) continue;
    const before = bytes[i - 1]!;
    if (before === b || (b === 0x0a && before === 0x0d && i > 1 && bytes[i - 2] === 0x0a)) {
      return bytes.byteLength - i - 1;
    }
  }
  return bytes.byteLength;
}
