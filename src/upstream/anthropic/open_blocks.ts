/**
 * The content blocks of a relayed answer that started and have not stopped, so that the client
 * sees every block stopped before `message_delta`, as Anthropic writes an answer. Claude Code
 * takes a block into the answer only at its `content_block_stop`, and fails the stream on a stop,
 * or a delta, for a block that is not open: a gateway that goes on to `message_delta` without
 * stopping its last block (a tool call, say) would lose it, and one that stops a block twice would
 * break the turn. The `message_delta` is held until the answer ends (its `message_stop`, or ccp's
 * end of it), after the upstream's own stops or ccp's: a server may send a second one with its
 * final usage, and an answer has one, so a later one is merged into the one held.
 */

import { isRecord } from "../../core/json.ts";

export class OpenBlocks {
  // Indexes in the order their blocks started: rarely more than one or two at a time.
  readonly #open: unknown[] = [];
  // The `message_delta` event held until the answer ends, and its data.
  #held: string | undefined;
  #heldData: Record<string, unknown> | undefined;

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

  /**
   * Holds `event`, a `message_delta` whose parsed data is `data` (its stop reason already carried
   * on from an earlier one). A second one replaces the first, with the usage Claude Code would
   * have added up from both: a later count replaces an earlier one unless it is 0 or less
   * (`output_tokens` whenever it is there).
   */
  delta(event: string, data: Record<string, unknown>): void {
    const before = this.#heldData;
    if (before === undefined) {
      this.#held = event;
      this.#heldData = data;
      return;
    }
    const usage = { ...usageOf(before) };
    for (const [key, value] of Object.entries(usageOf(data))) {
      const kept = key !== "output_tokens" && typeof usage[key] === "number" &&
        typeof value === "number" && value <= 0;
      if (!kept) usage[key] = value;
    }
    const merged = { ...data, usage };
    this.#held = `event: message_delta\ndata: ${JSON.stringify(merged)}`;
    this.#heldData = merged;
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
    this.#heldData = undefined;
    return text;
  }
}

function usageOf(data: Record<string, unknown>): Record<string, unknown> {
  return isRecord(data.usage) ? data.usage : {};
}
