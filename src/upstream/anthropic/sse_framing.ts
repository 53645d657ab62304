/**
 * The framing half of the passthrough relay: an Anthropic SSE body's bytes, read by read, cut into
 * whole events (text whose line ends are all LF), with what an event not yet ended holds. The
 * checks of each event are event_checks.ts's.
 */

import { lastEventEnd } from "./stream_events.ts";
import { HeldText } from "./held_text.ts";

// One options object for every read's decode, not one per read.
const STREAMING: TextDecodeOptions = { stream: true };

/** Decodes reads and gives out the whole events they complete. */
export class SseFraming {
  /**
   * Set by each {@link push} that gave events: true when the read's bytes are those events
   * exactly, so they can go on as they came.
   */
  untouched = false;
  // A U+FEFF the model wrote is text: Deno's streaming decoder would drop one that begins a read
  // after reads of ASCII only. The stream's leading byte-order mark is dropped below instead.
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  // No character read yet: a byte-order mark would be the stream's, not the model's.
  #start = true;
  // Text of an event whose blank line has not arrived yet.
  readonly #held = new HeldText();
  // A CR that ended the last read: the first half of a CRLF, or a line end of its own.
  #cr = false;
  // The last read may have ended inside a multi-byte character.
  #endsInCharacter = false;

  /** Characters held for an event not ended yet. */
  get held(): number {
    return this.#held.length;
  }

  /** The whole events this read completes (each ended by its blank line), or undefined: none. */
  push(bytes: Uint8Array): string | undefined {
    const held = this.#held;
    const startsInCharacter = this.#endsInCharacter;
    this.#endsInCharacter = (bytes.at(-1) ?? 0) >= 0x80;
    let fresh = this.#decoder.decode(bytes, STREAMING);
    if (this.#start && fresh !== "") {
      this.#start = false;
      if (fresh.charCodeAt(0) === 0xfeff) fresh = fresh.slice(1);
    }
    if (this.#cr || fresh.includes("\r")) fresh = this.#lineFeeds(fresh);
    const found = lastEventEnd(held.tail + fresh);
    if (found === 0) {
      held.add(fresh);
      return undefined;
    }
    // The common case, one chunk of whole events, goes on as the bytes that came in: when they
    // end with the blank line (not with a CR still to be read) and hold every character whole
    // (none begun in the last read, none left for the next).
    this.untouched = held.length === 0 && found === fresh.length && bytes.at(-1) === 0x0a &&
      !startsInCharacter;
    const text = held.take() + fresh;
    const end = text.length - fresh.length - Math.min(3, text.length - fresh.length) + found;
    held.add(text.slice(end));
    return text.slice(0, end);
  }

  /** The body ended: what was held, with a CR that ended it read as a line end. */
  end(): string {
    return this.#held.take() + (this.#cr ? "\n" : "") + this.#decoder.decode();
  }

  /**
   * `text` with every line end a LF. A lone CR ends a line too (any SSE client reads it so): read
   * any other way, an upstream could hide an event, or its end, from the checks.
   */
  #lineFeeds(text: string): string {
    if (this.#cr) text = `\r${text}`;
    this.#cr = text.endsWith("\r");
    if (this.#cr) text = text.slice(0, -1);
    return text.replace(/\r\n?/g, "\n");
  }
}
