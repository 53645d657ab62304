/**
 * The content blocks of a relayed answer that started and have not stopped. Claude Code takes a
 * block into the answer at its `content_block_stop` and fails the stream on a stop for a block that
 * is not open: a gateway that goes on to `message_delta` without stopping its last block (a tool
 * call, say) would lose it, and one that stops a block twice, or after the answer's end, would
 * break the turn.
 */

export class OpenBlocks {
  // Indexes in the order their blocks started: rarely more than one or two at a time.
  readonly #open: unknown[] = [];

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

  /** The indexes of the blocks still open, in their order, which count as stopped from now on. */
  stopAll(): unknown[] {
    return this.#open.splice(0);
  }
}
