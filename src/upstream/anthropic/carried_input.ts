/**
 * A `tool_use` start that carries its whole input (some compatible servers send a call so, with
 * no `input_json_delta`). Claude Code builds a call's input from the deltas alone, so it would run
 * the tool with `{}`: the start is sent with `input: {}`, and the input follows as one delta just
 * before the block's stop, unless a delta with input came. Only the input's text is kept, and only
 * until its block ends.
 */

import { isRecord } from "../../core/json.ts";

export class CarriedToolInput {
  #carried: { readonly index: unknown; readonly json: string } | undefined;

  /**
   * Looks at one event's parsed data (a start it empties in place): true for a start whose input
   * it took, the delta event to send before a stop (with the input's JSON), else false.
   */
  see(data: Record<string, unknown>): boolean | { readonly event: string; readonly json: string } {
    const carried = this.#carried;
    if (data.type === "content_block_start" && isRecord(data.content_block)) {
      const block = data.content_block;
      this.#carried = undefined;
      if (block.type !== "tool_use" || !isRecord(block.input)) return false;
      if (Object.keys(block.input).length === 0) return false;
      this.#carried = { index: data.index, json: JSON.stringify(block.input) };
      block.input = {};
      return true;
    }
    if (!carried || data.index !== carried.index) return false;
    if (data.type === "content_block_delta") {
      const delta = data.delta;
      if (isRecord(delta) && typeof delta.partial_json === "string" && delta.partial_json) {
        this.#carried = undefined;
      }
      return false;
    }
    if (data.type !== "content_block_stop") return false;
    this.#carried = undefined;
    const delta = {
      type: "content_block_delta",
      index: carried.index,
      delta: { type: "input_json_delta", partial_json: carried.json },
    };
    return {
      event: `event: content_block_delta\ndata: ${JSON.stringify(delta)}`,
      json: carried.json,
    };
  }
}
