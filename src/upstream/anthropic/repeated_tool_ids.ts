/**
 * Tool-call ids an Anthropic-compatible server repeats. A server that numbers its calls per answer
 * (`toolu_0001`, `call_0` in every turn) hands Claude Code an id it has seen earlier in the
 * conversation, and Claude Code then keeps only the first call of that id in the history it sends:
 * the later call runs, but the model is never told it did, nor what it returned. Such an id
 * (or one repeated within the answer) is replaced; a fresh one is relayed as it came, so a server
 * that makes ids of its own sees them back. The new id is a pure function of the old id, the
 * history's calls and the call's place in the answer: the same answer to the same request (a
 * retry) gets the same id, and the tool_result Claude Code sends back names it in the history the
 * server is given next, next to the call it answers.
 */

import { isRecord } from "../../core/json.ts";
import { fnv1a64Hex } from "../../translate/anthropic/ids.ts";

/** Replaces the repeated ids of one answer's tool calls. */
export class RepeatedToolIds {
  readonly #earlier: ReadonlySet<string>;
  // The ids this answer's calls went out with; made at its first call.
  #sent: Set<string> | undefined;

  /** `earlier`: the ids of the tool calls in the request's history. */
  constructor(earlier: ReadonlySet<string>) {
    this.#earlier = earlier;
  }

  /** Looks at a `content_block_start`'s data: true when it replaced its call's id in place. */
  start(data: Record<string, unknown>): boolean {
    const block = data.content_block;
    if (!isRecord(block) || block.type !== "tool_use") return false;
    return this.#take(block, data.index);
  }

  /** Looks at a whole answer's block: true when it replaced its call's id in place. */
  block(block: Record<string, unknown>, index: number): boolean {
    return block.type === "tool_use" && this.#take(block, index);
  }

  #take(block: Record<string, unknown>, index: unknown): boolean {
    const sent = this.#sent ??= new Set();
    const id = block.id;
    if (typeof id === "string" && id !== "" && !this.#taken(id)) {
      sent.add(id);
      return false;
    }
    const seed = `${String(id)}\n${this.#earlier.size}\n${String(index)}`;
    let fresh = `toolu_${fnv1a64Hex(seed)}`;
    for (let n = 1; this.#taken(fresh); n++) fresh = `toolu_${fnv1a64Hex(`${seed}\n${n}`)}`;
    sent.add(fresh);
    block.id = fresh;
    return true;
  }

  #taken(id: string): boolean {
    return this.#earlier.has(id) || this.#sent!.has(id);
  }
}
