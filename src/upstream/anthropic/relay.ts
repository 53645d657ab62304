/**
 * Relays an Anthropic SSE stream from upstream to client as it arrives, event by event: the
 * passthrough frame source of the relay stage (relay_stream.ts). Its two halves are the framing
 * (sse_framing.ts: reads cut into whole events) and the checks of each event (event_checks.ts).
 */

import {
  eventTooLarge,
  type Frames,
  type FrameSource,
  MAX_EVENT_SIZE,
  relayFrames,
  type RelayHooks,
} from "../relay_stream.ts";
import type { UsageTotals } from "../transport.ts";
import { encodedText } from "../../core/byte_slab.ts";
import { AnthropicEventChecks } from "./event_checks.ts";
import type { RelayedMessageIds } from "./relayed_message_ids.ts";
import { RepeatedToolIds } from "./repeated_tool_ids.ts";
import { SseFraming } from "./sse_framing.ts";
import type { TextBlocksRewriter } from "./text_blocks.ts";

/** Options for {@link relayAnthropicStream}. */
export interface RelayOptions extends RelayHooks {
  /** Model name the client sent; it replaces the upstream's in `message_start`. */
  clientModel: string;
  /**
   * ccp's local count of the prompt, when one was made already: the `usage.input_tokens` of a
   * `message_start` the upstream did not send, or sent without it (else 0).
   */
  inputTokens?: number;
  /** Called with each event's data: remembers signatures of servers other than Anthropic. */
  onEventData?: (data: Record<string, unknown>) => void;
  /**
   * The ids of the tool calls in the request's history, for a server other than Anthropic: a call
   * that repeats one of them (or one of the answer's) gets a new id.
   */
  earlierToolIds?: ReadonlySet<string>;
  /** For a server other than Anthropic: the message ids relayed, so that none goes out twice. */
  messageIds?: RelayedMessageIds;
  /**
   * Set when the model's settings turn `text_tool_calls` on: reads the calls written as text (and
   * `<think>` reasoning) out of the answer's text. Loaded only then.
   */
  rewriter?: TextBlocksRewriter;
}

/**
 * Pipes the upstream's Anthropic SSE to the client one whole event at a time, each event's JSON
 * checked once: an upstream error event ends the stream with its message (scrubbed of the
 * provider's keys), malformed JSON with an error naming it.
 */
export function relayAnthropicStream(
  upstream: ReadableStream<Uint8Array>,
  options: RelayOptions,
): ReadableStream<Uint8Array> {
  const checks = new AnthropicEventChecks(
    {
      model: options.clientModel,
      inputTokens: options.inputTokens ?? 0,
      ...(options.messageIds ? { messageIds: options.messageIds } : {}),
    },
    options.describeUpstream,
    options.onEventData,
    options.earlierToolIds ? new RepeatedToolIds(options.earlierToolIds) : undefined,
  );
  const frames = new AnthropicFrames(checks, options.describeUpstream, options.rewriter);
  return relayFrames(upstream, frames, options);
}

/** The upstream's own events, framed, checked and forwarded. */
class AnthropicFrames implements FrameSource {
  readonly #framing = new SseFraming();
  readonly #checks: AnthropicEventChecks;
  readonly #describeUpstream: string;
  readonly #rewriter: TextBlocksRewriter | undefined;

  constructor(
    checks: AnthropicEventChecks,
    describeUpstream: string,
    rewriter: TextBlocksRewriter | undefined,
  ) {
    this.#checks = checks;
    this.#describeUpstream = describeUpstream;
    this.#rewriter = rewriter;
  }

  get usage(): UsageTotals {
    return this.#checks.usage;
  }

  get answerChars(): number {
    return this.#checks.answerChars;
  }

  get stopReason(): string | undefined {
    const reason = this.#checks.stopReason;
    // An answer that now calls a tool stops for it, as the rewritten message_delta says.
    return this.#rewriter?.called && reason === "end_turn" ? "tool_use" : reason;
  }

  get finishing(): boolean {
    return this.#checks.finishing;
  }

  push(bytes: Uint8Array): Frames {
    const framing = this.#framing;
    const text = framing.push(bytes);
    if (text === undefined) {
      return framing.held <= MAX_EVENT_SIZE ? {} : { end: eventTooLarge(this.#describeUpstream) };
    }
    const frames = this.#rewriter
      ? this.#rewrittenEvents(text)
      : this.#checks.events(text, framing.untouched ? bytes : undefined);
    // The events before go out; the one begun after them is already too large.
    if (frames.end || framing.held <= MAX_EVENT_SIZE) return frames;
    return { ...frames, end: eventTooLarge(this.#describeUpstream) };
  }

  /** The rewriter reads the checked events as text, with the data the checks parsed. */
  #rewrittenEvents(text: string): Frames {
    const { events, data, end } = this.#checks.checked(text);
    const rewritten = events.length === 0 ? "" : this.#rewriter!.rewriteEvents(events, data);
    if (rewritten === "") return end ? { end } : {};
    const bytes = encodedText(rewritten);
    return end ? { bytes, end } : { bytes };
  }

  end(): Frames {
    const frames = this.#ended();
    if (!this.#rewriter || !frames.bytes) return frames;
    return { ...frames, bytes: this.#rewriter.rewrite(frames.bytes) };
  }

  #ended(): Frames {
    // An upstream that forgot the blank line after its last event still sent that event.
    const rest = this.#framing.end();
    const frames = rest.trim() === "" ? {} : this.#checks.events(`${rest}\n\n`, undefined);
    // The upstream said how its answer stopped, then closed or went quiet without message_stop.
    if (frames.end || !this.#checks.finishing) return frames;
    return this.#checks.finished(frames);
  }
}
