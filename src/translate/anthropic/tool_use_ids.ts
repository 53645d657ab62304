/**
 * The ids of the tool calls an answer hands Claude Code. Claude Code runs a call whose id it has
 * seen before in the conversation but leaves it out of the history it sends back, so the model,
 * never told its call ran, asks again: a loop.
 * Upstream ids are kept when they are fresh; one that is missing, repeats in this answer, or
 * repeats a call of the history (a server numbering calls per answer, a model writing its own
 * ids) is replaced by a new `toolu_...` id.
 */

import type { MessageParam } from "../../protocols/anthropic.ts";
import { newToolUseId } from "./ids.ts";

/** Hands out tool_use ids for one answer. */
export class ToolUseIds {
  readonly #used = new Set<string>();
  readonly #earlier: ReadonlySet<string>;

  /** `earlier`: the ids of the request's tool calls ({@link historyToolIds}). */
  constructor(earlier: ReadonlySet<string> = new Set()) {
    this.#earlier = earlier;
  }

  /** `upstreamId` when it is fresh, else a new id. */
  take(upstreamId: string | undefined): string {
    const id = upstreamId && !this.#used.has(upstreamId) && !this.#earlier.has(upstreamId)
      ? upstreamId
      : newToolUseId();
    this.#used.add(id);
    return id;
  }
}

/**
 * The ids of the tool calls in a request's history. Collected before the answer streams, so an
 * open stream holds these short strings and not the request's messages.
 */
export function historyToolIds(history: readonly MessageParam[]): Set<string> {
  const ids = new Set<string>();
  for (const message of history) {
    if (message.role !== "assistant" || typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type === "tool_use" && typeof block.id === "string") ids.add(block.id);
    }
  }
  return ids;
}
