/**
 * The content blocks of a relayed answer that started and have not stopped, so that the client
 * sees every block stopped before `message_delta`, as Anthropic writes an answer. Claude Code
 * takes a block into the answer only at its `content_block_stop`, and fails the stream on a stop,
 * or a delta, for a block that is not open: a gateway that goes on to `message_delta` without
 * stopping its last block (a tool call, say) would lose it, and one that stops a block twice would
 * break the turn. A `message_delta` that comes while blocks are open is held until they stop (the
 * upstream's own stops, with whatever it still sends for them) or the answer ends (ccp's).
 */

export class OpenBlocks {
  // Indexes in the order their blocks started: rarely more than one or two at a time.
  readonly #open: unknown[] = [];
  // The `message_delta` event held until the blocks open when it came have stopped.
  #held: string | undefined;

  /** Notes a start or a stop; false for a stop of a block that is not open (it must not go on). */
  see(data: Record<string, unknown>): boolean {
    if (data.type === "content_block_start") {
      if (!this.#open.includes(data.index)) this.#open.push(data.index);
    } else if (data.type === "content_block_stop") {
      const at = this.#open.indexOf(data.index);
      if (at < 0) return false;
      this.#open.splice(at, 1);
    }
    return true;
  }

  /** `event` (a `message_delta`) to send now, or undefined when it is held for open blocks. */
  delta(event: string): string | undefined {
    if (this.#open.length === 0) return event;
    this.#held = event;
    return undefined;
  }

  /** What follows a stop just sent: the held `message_delta` once no block is open, else "". */
  afterStop(): string {
    const held = this.#held;
    if (held === undefined || this.#open.length > 0) return "";
    this.#held = undefined;
    return `\n\n${held}`;
  }

  /**
   * The answer ended: a stop for each block still open (`stop` writes it) and the held
   * `message_delta`, each event followed by its blank line; "" when there are none.
   */
  release(stop: (index: unknown) => string): string {
    let text = "";
    for (const index of this.#open.splice(0)) text += `${stop(index)}\n\n`;
    if (this.#held !== undefined) text += `${this.#held}\n\n`;
    this.#held = undefined;
    return text;
  }
}
