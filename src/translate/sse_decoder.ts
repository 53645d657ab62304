/**
 * Incremental bytes -> SSE messages decoder (UTF-8 decoding plus the `eventsource-parser`
 * parser), synchronous so the relay stage can run it without a stream hop.
 * A last event sent without its terminating blank line (`data: [DONE]` at EOF) still
 * counts: `end()` feeds the blank line the upstream forgot.
 */

import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

const STREAM: TextDecodeOptions = { stream: true };

/** One decoder per upstream body. */
export class SseMessageDecoder {
  // A U+FEFF the model wrote is text: Deno's streaming decoder would drop one that begins a read
  // after reads of ASCII only. The parser drops the stream's leading byte-order mark itself.
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  readonly #parser: EventSourceParser;
  #pending: EventSourceMessage[] = [];

  constructor() {
    this.#parser = createParser({ onEvent: (message) => this.#pending.push(message) });
  }

  /** Decodes the next bytes; returns the messages they completed. */
  push(bytes: Uint8Array): EventSourceMessage[] {
    this.#parser.feed(this.#decoder.decode(bytes, STREAM));
    return this.#take();
  }

  /** Flushes at the end of the body. */
  end(): EventSourceMessage[] {
    this.#parser.feed(`${this.#decoder.decode()}\n\n`);
    return this.#take();
  }

  #take(): EventSourceMessage[] {
    if (this.#pending.length === 0) return [];
    const out = this.#pending;
    this.#pending = [];
    return out;
  }
}
