/**
 * Completes each `message_delta` of a compatible server as Anthropic writes one. Claude Code
 * reads `usage` from it unconditionally (a server that leaves it out crashes it with "undefined
 * is not an object (evaluating '$.input_tokens')"), and runs the answer's tool calls only when the
 * stop reason is `tool_use`: a server that ends a turn with tool calls as `end_turn`, or with no
 * reason, would stop the session's work with the calls unrun. A server may also report its final
 * usage in a second delta with no reason: that one keeps the reason already given, so an answer cut
 * at `max_tokens` is not taken for a finished one.
 */

import { isRecord } from "../../core/json.ts";
import { completedStopReason } from "./stream_events.ts";

export class CompletedDelta {
  // The answer has a tool call of the client's (a `tool_use` block).
  #toolUse = false;
  // The stop reason and sequence the client was told, once a delta carried them.
  #reason: unknown = undefined;
  #sequence: unknown = null;

  /**
   * Looks at one event's parsed data, completing a `message_delta` in place; true when it changed
   * it. `answerChars` sizes the output estimate of a delta without an output count.
   */
  see(data: Record<string, unknown>, answerChars: number): boolean {
    if (data.type === "content_block_start" && isRecord(data.content_block)) {
      if (data.content_block.type === "tool_use") this.#toolUse = true;
      return false;
    }
    if (data.type !== "message_delta") return false;
    let changed = false;
    if (!isRecord(data.usage)) {
      data.usage = { output_tokens: Math.ceil(answerChars / 4) };
      changed = true;
    } else if (typeof data.usage.output_tokens !== "number") {
      data.usage.output_tokens = Math.ceil(answerChars / 4);
      changed = true;
    }
    if (!isRecord(data.delta)) data.delta = { stop_sequence: null };
    const delta = data.delta as Record<string, unknown>;
    // A delta with no reason of its own carries on the one (and the stop sequence) given before.
    const carried = (delta.stop_reason ?? undefined) === undefined && this.#reason !== undefined;
    const reason = completedStopReason(carried ? this.#reason : delta.stop_reason, this.#toolUse);
    if (carried) delta.stop_sequence ??= this.#sequence;
    if (reason !== delta.stop_reason) {
      delta.stop_reason = reason;
      changed = true;
    }
    this.#reason = reason;
    this.#sequence = delta.stop_sequence ?? null;
    return changed;
  }
}
