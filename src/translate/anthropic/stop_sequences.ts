/**
 * The client's `stop_sequences`, applied to the answer ccp relays: the text ends before the first
 * sequence it holds, with `stop_reason: "stop_sequence"` and the sequence, as Anthropic answers.
 * Upstreams that honour `stop` have already cut there (and removed the sequence), so this finds
 * nothing in their answers; it matters where the sequences never reached the model: the Responses
 * API has no such parameter, some models refuse it (ccp then sends the request without it), and
 * some servers ignore it. Only answer text is searched, as Anthropic does: not thinking, not tool
 * input.
 */

import type {
  AnthropicDeltaUsage,
  AnthropicMessage,
  AnthropicStreamEvent,
  ContentBlock,
  ContentDelta,
} from "../../protocols/anthropic.ts";
import type { ReportedUsage, SseTranslation } from "../sse_translation.ts";
import { finalDelta } from "./answer_frame.ts";

/** The sequences a request asks for: non-empty strings only. */
export function stopSequencesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === "string" && !!s) : [];
}

/**
 * The first sequence in `text` and where it begins: the one that ends first, since a model stops
 * as soon as its output ends with one (of two that end together, the longer). Picking the one
 * that begins first instead would make the answer depend on how the text was split into deltas.
 */
function firstMatch(
  text: string,
  sequences: readonly string[],
): { at: number; sequence: string } | undefined {
  let best: { at: number; end: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at < 0) continue;
    const end = at + sequence.length;
    if (best === undefined || end < best.end || (end === best.end && at < best.at)) {
      best = { at, end, sequence };
    }
  }
  return best;
}

/** Characters a delta adds to the answer. */
function deltaLength(delta: ContentDelta): number {
  switch (delta.type) {
    case "text_delta":
      return delta.text.length;
    case "thinking_delta":
      return delta.thinking.length;
    case "input_json_delta":
      return delta.partial_json.length;
    default:
      return 0;
  }
}

/** Cuts before `at`, moved back off the middle of a surrogate pair. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 0 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/**
 * Applies stop sequences to a stream of Anthropic events. Text is held back by up to the longest
 * sequence's length less one character, so a sequence split over deltas is still found; the held
 * text goes out with the block's end.
 */
export class StopSequenceCutter {
  readonly #sequences: readonly string[];
  readonly #hold: number;
  // The open text block; its start goes out with its first text, so that a block the sequence
  // begins never opens: Anthropic refuses an empty text block sent back on a later turn.
  #text: { index: number; held: string; start?: AnthropicStreamEvent } | undefined;
  #inputTokens = 0;
  #chars = 0;
  #stopped = false;
  readonly #reported: () => ReportedUsage | undefined;

  /** `reported`: the prompt counts the upstream sent so far, which the cut answer's usage keeps. */
  constructor(
    sequences: readonly string[],
    reported: () => ReportedUsage | undefined = () => undefined,
  ) {
    this.#sequences = sequences;
    this.#reported = reported;
    this.#hold = Math.max(0, ...sequences.map((s) => s.length)) - 1;
  }

  /** True once a sequence was found: the answer has ended, nothing more goes out. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The events that go out for `events`. */
  push(events: readonly AnthropicStreamEvent[]): AnthropicStreamEvent[] {
    const out: AnthropicStreamEvent[] = [];
    for (const event of events) {
      if (this.#stopped) break;
      this.#event(event, out);
    }
    return out;
  }

  #event(event: AnthropicStreamEvent, out: AnthropicStreamEvent[]): void {
    switch (event.type) {
      case "message_start":
        this.#inputTokens = event.message.usage.input_tokens;
        break;
      case "content_block_start":
        if (event.content_block.type === "text") {
          this.#text = { index: event.index, held: "", start: event };
          return;
        }
        break;
      case "content_block_delta":
        if (event.delta.type === "text_delta" && event.index === this.#text?.index) {
          return this.#scan(event.delta.text, out);
        }
        this.#chars += deltaLength(event.delta);
        break;
      case "content_block_stop":
        if (event.index === this.#text?.index) {
          const text = this.#text;
          this.#flush(out);
          // A block that stayed empty opens and closes as the upstream sent it.
          if (text.start) out.push(text.start);
        }
        break;
      case "error":
        this.#flush(out);
        break;
    }
    out.push(event);
  }

  #scan(piece: string, out: AnthropicStreamEvent[]): void {
    const text = this.#text!;
    const all = text.held + piece;
    const match = firstMatch(all, this.#sequences);
    if (match) {
      this.#emit(all.slice(0, match.at), out);
      if (!text.start) out.push({ type: "content_block_stop", index: text.index });
      out.push({
        type: "message_delta",
        delta: finalDelta("stop_sequence", match.sequence),
        usage: this.#usage(),
      });
      out.push({ type: "message_stop" });
      this.#stopped = true;
      return;
    }
    const cut = safeCut(all, Math.max(0, all.length - this.#hold));
    this.#emit(all.slice(0, cut), out);
    text.held = all.slice(cut);
  }

  #flush(out: AnthropicStreamEvent[]): void {
    if (!this.#text) return;
    this.#emit(this.#text.held, out);
    this.#text = undefined;
  }

  #emit(text: string, out: AnthropicStreamEvent[]): void {
    if (!text || !this.#text) return;
    if (this.#text.start) out.push(this.#text.start);
    this.#text.start = undefined;
    this.#chars += text.length;
    out.push({
      type: "content_block_delta",
      index: this.#text.index,
      delta: { type: "text_delta", text },
    });
  }

  /**
   * The upstream's final count never comes (its answer is cut off): the prompt counts it sent so
   * far (Gemini's come with its chunks), else ccp's own, and an estimate of the output.
   */
  #usage(): AnthropicDeltaUsage {
    const reported = this.#reported();
    return {
      input_tokens: reported?.inputTokens ?? this.#inputTokens,
      output_tokens: Math.ceil(this.#chars / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: reported?.cacheReadInputTokens ?? 0,
      output_tokens_details: null,
      server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
    };
  }
}

/** `translation` with `sequences` applied to the events it produces. */
export function withStopSequences(
  translation: SseTranslation,
  sequences: readonly string[],
): SseTranslation {
  if (sequences.length === 0) return translation;
  const cutter = new StopSequenceCutter(sequences, () => translation.reported);
  return {
    get done() {
      return cutter.stopped || translation.done;
    },
    get finishing() {
      return !cutter.stopped && translation.finishing;
    },
    // What the upstream counted so far stands for a stream cut short, in the log and the ledger.
    get reported() {
      return translation.reported;
    },
    message: (message) => cutter.push(translation.message(message)),
    end: () => (cutter.stopped ? [] : cutter.push(translation.end())),
  };
}

/** A complete answer with `sequences` applied: cut at the first one its text holds. */
export function cutMessageAtStopSequence(
  message: AnthropicMessage,
  sequences: readonly string[],
): AnthropicMessage {
  if (sequences.length === 0) return message;
  const content: ContentBlock[] = [];
  for (const block of message.content) {
    const match = block.type === "text" ? firstMatch(block.text, sequences) : undefined;
    if (!match) {
      content.push(block);
      continue;
    }
    const text = (block as { text: string }).text.slice(0, match.at);
    if (text) content.push({ type: "text", text });
    return { ...message, content, stop_reason: "stop_sequence", stop_sequence: match.sequence };
  }
  return message;
}
