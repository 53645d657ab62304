/**
 * Message ids an Anthropic-compatible server repeats. Claude Code takes answers that share an id
 * for parts of one message (a streamed answer is stored a block at a time, under its id) and
 * merges them: a server that gives every answer the same id (or none) has two answers of a
 * session -- a tool call and the text after its result -- sent back, and summarized by /compact,
 * as one. llama.cpp, vLLM and Ollama make an id per answer; a gateway or a small server may not.
 * ccp remembers the ids it relayed and gives an answer that repeats one a fresh id. An id seen
 * for the first time goes through as it came: a server that makes its own sees it in Claude
 * Code's transcript. Kept in memory, bounded: an id relayed before a restart, or many answers
 * ago, is not known.
 */

import { newMessageId } from "../../translate/anthropic/ids.ts";

/** A bounded set of the message ids relayed, the oldest forgotten first. */
export class RelayedMessageIds {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max = 4096) {
    this.#max = max;
  }

  /** The id an answer that came with `id` goes out with: its own the first time, else a fresh one. */
  relayed(id: unknown): string {
    if (typeof id !== "string" || id === "" || this.#seen.has(id)) return newMessageId();
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(id);
    return id;
  }
}

/** The message ids this process relayed from servers other than Anthropic. */
export const RELAYED_MESSAGE_IDS = new RelayedMessageIds();
