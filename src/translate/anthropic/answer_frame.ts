/**
 * The frame of one translated answer, the same for every upstream protocol: `message_start`
 * before anything else, nothing once the answer ended, and an end that is either the final
 * `message_delta` and `message_stop` or one `error` event (after the open block is closed,
 * unless it is a tool call's).
 */

import type {
  AnthropicDeltaUsage,
  AnthropicStreamEvent,
  MessageDelta,
  StopReason,
} from "../../protocols/anthropic.ts";
import type { AnthropicBlockWriter } from "./blocks.ts";
import { withWords } from "./error_words.ts";

export class AnswerFrame {
  /** True once `message_start` was written. */
  started = false;
  /** True once the message ended (normally or with an error). */
  done = false;
  readonly #blocks: AnthropicBlockWriter;
  readonly #start: () => AnthropicStreamEvent;

  /** Events go to `blocks.out`; `start` makes the `message_start` event. */
  constructor(blocks: AnthropicBlockWriter, start: () => AnthropicStreamEvent) {
    this.#blocks = blocks;
    this.#start = start;
  }

  /** Runs one step of the translator and returns what it wrote; nothing after the end. */
  run(step: () => void): AnthropicStreamEvent[] {
    if (this.done) return [];
    const out: AnthropicStreamEvent[] = [];
    this.#blocks.out = out;
    step();
    return out;
  }

  /** Writes `message_start` unless it was written already. */
  begin(): void {
    if (this.started) return;
    this.started = true;
    this.#blocks.out.push(this.#start());
  }

  /** Ends the answer normally (its blocks already closed); `sequence` is the stop sequence hit. */
  finish(reason: StopReason, usage: AnthropicDeltaUsage, sequence: string | null = null): void {
    this.#blocks.out.push({ type: "message_delta", delta: finalDelta(reason, sequence), usage });
    this.#blocks.out.push({ type: "message_stop" });
    this.done = true;
  }

  /**
   * Ends the answer with an error, closing an open text or thinking block first (a tool call's
   * stays open: see AnthropicBlockWriter.abandon). `said`: the
   * upstream's own words when it reported the error; `status`: the one it stands for when `type`
   * does not say it (error_words.ts).
   */
  fail(message: string, type = "api_error", said?: string, status?: number): void {
    if (this.started) this.#blocks.abandon();
    this.#blocks.out.push(withWords({ type: "error", error: { type, message } }, said, status));
    this.done = true;
  }

  /**
   * Fails an answer whose upstream stream ended before it finished: with `early` once the answer
   * began, else saying that the stream carried nothing at all.
   */
  cutOff(who: string, early: string): void {
    this.fail(this.started ? early : `${who} closed the stream without sending any data`);
  }
}

/**
 * The final `message_delta`'s delta with every key Anthropic's API sends: a refusal's details say
 * only that it was one (an upstream's safety stop names no Anthropic category), and no container.
 */
export function finalDelta(reason: StopReason, sequence: string | null = null): MessageDelta {
  return {
    stop_reason: reason,
    stop_sequence: sequence,
    stop_details: reason === "refusal"
      ? { type: "refusal", category: null, explanation: null }
      : null,
    container: null,
  };
}
