/**
 * The checks half of the passthrough relay: each whole Anthropic SSE event (as sse_framing.ts cuts
 * them) read once and checked, then forwarded as it came or written anew where a compatible
 * server's answer needs completing (a missing `message_start`, a tool call's input, a
 * `message_delta`'s stop reason and usage, blocks left open).
 */

import type { Frames, StreamEnd } from "../relay_stream.ts";
import type { UsageTotals } from "../transport.ts";
import { isRecord } from "../../core/json.ts";
import { CarriedToolInput } from "./carried_input.ts";
import { CompletedDelta } from "./completed_delta.ts";
import { OpenBlocks } from "./open_blocks.ts";
import type { RelayedMessageIds } from "./relayed_message_ids.ts";
import type { RepeatedToolIds } from "./repeated_tool_ids.ts";
import {
  deltaChars,
  failedStopReason,
  inspectEvent,
  midStreamMessage,
  noteUsage,
  splitEvents,
} from "./stream_events.ts";

/** What a `message_start` ccp writes or completes says: the client's model, the prompt's size. */
export interface Opening {
  readonly model: string;
  readonly inputTokens: number;
  /** For a server other than Anthropic: gives an answer whose id was relayed before a new one. */
  readonly messageIds?: RelayedMessageIds;
}

/** Checked events as {@link AnthropicEventChecks.checked} gives them. */
export interface CheckedEvents {
  readonly events: readonly string[];
  readonly data: readonly (Record<string, unknown> | undefined)[];
  readonly end?: StreamEnd;
}

const encoder = new TextEncoder();
const MESSAGE_STOP = encoder.encode('event: message_stop\ndata: {"type":"message_stop"}\n\n');

/** The upstream's own events, checked and forwarded (as the bytes that came in, when whole). */
export class AnthropicEventChecks {
  readonly usage: UsageTotals = {};
  answerChars = 0;
  /** Set by a `message_delta` with its stop reason: only `message_stop` may follow. */
  finishing = false;
  /** The stop reason the client was told (as completed), once a `message_delta` gave one. */
  stopReason: string | undefined;
  // The upstream sent a `message_delta` (with a reason or not).
  #sawDelta = false;
  readonly #start: Opening;
  readonly #describeUpstream: string;
  readonly #onEventData: ((data: Record<string, unknown>) => void) | undefined;
  // No `message_start` has gone to the client yet: events are checked for one, or for the need
  // of one (see #opening).
  #unopened = true;
  // ccp wrote the answer's message_start itself (the upstream had sent none).
  #startSent = false;
  readonly #completed = new CompletedDelta();
  readonly #blocks = new OpenBlocks();
  // A tool call's input its start carried, until a delta with input arrives or the block stops.
  readonly #carried = new CarriedToolInput();
  // Replaces tool-call ids a server other than Anthropic repeats.
  readonly #toolIds: RepeatedToolIds | undefined;
  // How the last #check ended the stream, if it did, and whether an event it kept differs from
  // what came in (in fields, not an object per chunk).
  #end: StreamEnd | undefined;
  #changed = false;

  constructor(
    opening: Opening,
    describeUpstream: string,
    onEventData?: (data: Record<string, unknown>) => void,
    toolIds?: RepeatedToolIds,
  ) {
    this.#start = opening;
    this.#describeUpstream = describeUpstream;
    this.#onEventData = onEventData;
    this.#toolIds = toolIds;
  }

  /**
   * The body ended after `frames` (its last events) without `message_stop`, though the upstream
   * had said how its answer stopped: nothing the answer needs is missing, so it ends as Anthropic
   * ends one.
   */
  finished(frames: Frames): Frames {
    const before = frames.bytes ?? new Uint8Array();
    const released = encoder.encode(this.#release());
    const bytes = new Uint8Array(before.byteLength + released.byteLength + MESSAGE_STOP.byteLength);
    bytes.set(before);
    bytes.set(released, before.byteLength);
    bytes.set(MESSAGE_STOP, before.byteLength + released.byteLength);
    return { bytes, end: { kind: "stop" } };
  }

  /**
   * Checks whole events (each ended by its blank line); `bytes` are the same events as received,
   * when they can go untouched.
   */
  events(text: string, bytes: Uint8Array | undefined): Frames {
    const events = this.#check(text, undefined);
    const end = this.#end;
    if (events.length === 0) return end ? { end } : {};
    const out = this.#changed || !bytes ? joined(events) : bytes;
    return end ? { bytes: out, end } : { bytes: out };
  }

  /**
   * Checks whole events as {@link events} does, for a reader of the events that follow (the text
   * rewriter): the events that go on (without their blank lines), beside each the data parsed
   * from it when it goes as it came (else undefined: ccp wrote it, or it holds several), so that
   * none is parsed twice nor encoded to be decoded again.
   */
  checked(text: string): CheckedEvents {
    const data: (Record<string, unknown> | undefined)[] = [];
    const events = this.#check(text, data);
    data.length = events.length;
    const end = this.#end;
    return end ? { events, data, end } : { events, data };
  }

  /** The events that go on, in `events`' own array; `parsed`, when given, gets each one's data. */
  #check(text: string, parsed: (Record<string, unknown> | undefined)[] | undefined): string[] {
    this.#end = undefined;
    const events = splitEvents(text);
    // The events that go on are the first `kept` of `events`, some written anew (in place: no
    // array more per chunk); `changed` once one differs from what came in.
    let kept = 0;
    let changed = false;
    for (const event of events) {
      const verdict = inspectEvent(event);
      if (verdict.kind === "pass") {
        const data = verdict.data;
        // Events are named as Anthropic names them: an SDK reads an event by its name, and
        // drops one that has none.
        const source = verdict.unnamed ? named(event, data?.type) : event;
        let sent: string | undefined = source;
        if (data) {
          if (!this.#blocks.see(data)) {
            changed = true;
            continue;
          }
          const failed = data.type === "message_delta"
            ? failedStopReason(stopReasonOf(data))
            : undefined;
          if (failed) {
            events.length = kept;
            const message =
              `${this.#describeUpstream} ended the answer with stop_reason "${failed}"`;
            return this.#ended(events, { kind: "error", message });
          }
          noteUsage(this.usage, data);
          this.answerChars += deltaChars(data);
          this.#onEventData?.(data);
          // Both run: a tool call's start that lacked `input` still marks the answer as calling.
          const completed = this.#completed.see(data, this.answerChars);
          // After the reason is filled in: the client has been told the answer finished.
          if (data.type === "message_delta") {
            this.#sawDelta = true;
            const reason = stopReasonOf(data);
            if (reason !== undefined) {
              this.finishing = true;
              this.stopReason = reason;
            }
          }
          const carried = this.#carried.see(data);
          if (typeof carried === "object") this.answerChars += carried.json.length;
          const renamed = data.type === "content_block_start" && this.#toolIds !== undefined &&
            this.#toolIds.start(data);
          const filled = filledToolInput(data) || carried === true || completed || renamed;
          if (this.#unopened) sent = this.#opening(source, data, filled);
          else if (this.#startSent && data.type === "message_start") {
            // ccp opened the answer with its own already: a second would start a new message.
            sent = undefined;
          } else if (filled) sent = withData(source, data);
          if (typeof carried === "object" && sent !== undefined) {
            sent = `${carried.event}\n\n${sent}`;
          }
          if (data.type === "message_delta" && sent !== undefined) {
            // Held to the answer's end; a message_start ccp wrote before it goes now.
            const delta = filled ? withData(source, data) : source;
            this.#blocks.delta(delta, data);
            sent = sent.length > delta.length ? sent.slice(0, -delta.length - 2) : undefined;
          }
        }
        if (sent !== event) changed = true;
        if (sent === undefined) continue;
        // The data stands for the event only when it goes as it came (named, at most).
        if (parsed) parsed[kept] = sent === source ? data : undefined;
        events[kept++] = sent;
        continue;
      }
      // Only part of what came in goes on: those events are written out again.
      // After the stop reason only message_stop may come: one broken off (the connection ended
      // inside it) says nothing the answer needs, and end() writes it whole.
      if (verdict.kind === "malformed" && this.finishing) {
        changed = true;
        continue;
      }
      if (verdict.kind === "stop") {
        const stop = verdict.unnamed ? named(event, "message_stop") : event;
        if (parsed) parsed[kept] = undefined;
        events[kept++] = this.#release() + this.#missingDelta() + stop;
        events.length = kept;
        return this.#ended(events, { kind: "stop" });
      }
      const message = verdict.kind !== "error"
        ? `${this.#describeUpstream} sent ${verdict.detail}`
        : verdict.refusedCredential
        // Said whose refusal it is, as before the first byte: the type the client gets is no
        // longer the upstream's, and its words alone read as the client's ccp token refused.
        ? `${this.#describeUpstream} sent ${verdict.refusedCredential} mid-stream (it refused ` +
          `the credential ccp sent it): ${verdict.message}`
        : midStreamMessage(this.#describeUpstream, verdict.type, verdict.message);
      const type = verdict.kind === "error" ? verdict.type : undefined;
      const said = verdict.kind === "error" ? verdict.said : undefined;
      const status = verdict.kind === "error" ? verdict.status : undefined;
      events.length = kept;
      return this.#ended(events, {
        kind: "error",
        message,
        ...(type ? { type } : {}),
        ...(said ? { said } : {}),
        ...(status ? { status } : {}),
      });
    }
    events.length = kept;
    this.#changed = changed;
    return events;
  }

  /** `events` end the stream with `end`: they go out written anew. */
  #ended(events: string[], end: StreamEnd): string[] {
    this.#end = end;
    this.#changed = true;
    return events;
  }

  /**
   * An event that comes while the answer has no `message_start` yet: the upstream's own, with the
   * client's model name, or, before the first event that needs one, the `message_start` it never
   * sent.
   */
  #opening(event: string, data: Record<string, unknown>, filled: boolean): string {
    if (data.type === "message_start") {
      this.#unopened = false;
      const ids = this.#start.messageIds;
      if (ids && isRecord(data.message)) data.message.id = ids.relayed(data.message.id);
      return withClientModel(event, data, this.#start);
    }
    if (!opensAnswer(data)) return event;
    this.#unopened = false;
    this.#startSent = true;
    const sent = filled ? withData(event, data) : event;
    return `${startFor(this.#start)}\n\n${sent}`;
  }

  /**
   * The `message_delta` of an answer whose upstream went from its last block to `message_stop`
   * without one, followed by its blank line; "" when it sent one, or opened no answer. Claude Code
   * takes an assistant message whose stop reason is still null for one being streamed: it leaves
   * it out of what a side question or a fork sees, of the context-management checks and of usage,
   * and the session's result reports a null reason with no output tokens. So the answer ends as
   * Anthropic ends one: `end_turn`, or `tool_use` when it calls a tool, and the output estimated.
   */
  #missingDelta(): string {
    if (this.#sawDelta || this.#unopened) return "";
    const data: Record<string, unknown> = {
      type: "message_delta",
      delta: { stop_reason: null, stop_sequence: null },
    };
    this.#completed.see(data, this.answerChars);
    noteUsage(this.usage, data);
    this.#sawDelta = true;
    this.finishing = true;
    this.stopReason = stopReasonOf(data);
    return `event: message_delta\ndata: ${JSON.stringify(data)}\n\n`;
  }

  /**
   * What the answer's end brings first: the stops of the blocks the upstream left open (each led
   * by the input its start carried, if it had one) and the `message_delta` held for them.
   */
  #release(): string {
    return this.#blocks.release((index) => {
      const stop = { type: "content_block_stop", index };
      const carried = this.#carried.see(stop);
      const before = typeof carried === "object" ? `${carried.event}\n\n` : "";
      if (typeof carried === "object") this.answerChars += carried.json.length;
      return `${before}event: content_block_stop\ndata: ${JSON.stringify(stop)}`;
    });
  }
}

function joined(events: readonly string[]): Uint8Array {
  return encoder.encode(`${events.join("\n\n")}\n\n`);
}

/**
 * The `message_start` event with the client's model name in place of the upstream's, and the
 * fields a compatible server left out filled in as Anthropic sends them: vLLM leaves out `type`
 * and `role`, Ollama `stop_reason` and `stop_sequence`, and a client reads
 * `usage.input_tokens` from here (Claude Code sizes its context with it), so it is never absent.
 */
function withClientModel(event: string, data: Record<string, unknown>, opening: Opening): string {
  const message = data.message;
  if (!isRecord(message)) return event;
  message.model = opening.model;
  message.type ??= "message";
  message.role ??= "assistant";
  if (!Array.isArray(message.content)) message.content = [];
  if (message.stop_reason === undefined) message.stop_reason = null;
  if (message.stop_sequence === undefined) message.stop_sequence = null;
  const usage = isRecord(message.usage) ? message.usage : (message.usage = {});
  if (typeof usage.input_tokens !== "number") usage.input_tokens = opening.inputTokens;
  if (typeof usage.output_tokens !== "number") usage.output_tokens = 0;
  return withData(event, data);
}

/**
 * True for an event that only comes after `message_start`: a client's accumulator refuses it
 * without one ("Unexpected event order"). llama.cpp writes `message_start` with the chunk of the
 * first generated token only, and holds back a token that is part of a UTF-8 character, so an
 * answer that opens with half a character reaches ccp without one.
 */
function opensAnswer(data: Record<string, unknown>): boolean {
  const type = data.type;
  return type === "content_block_start" || type === "content_block_delta" ||
    type === "content_block_stop" || type === "message_delta";
}

let started = 0;

/** A `message_start` for an upstream that sent none, with what ccp knows of the answer. */
function startFor(opening: Opening): string {
  const data = { type: "message_start", message: { id: `msg_ccp_${Date.now()}_${started++}` } };
  return withClientModel("event: message_start", data, opening);
}

/**
 * Gives a `tool_use` block started without `input` (llama.cpp sends none) Anthropic's `input: {}`
 * and says whether it did: a client that gets no `input_json_delta` for it, a call without
 * arguments, would otherwise be left with no input at all.
 */
function filledToolInput(data: Record<string, unknown>): boolean {
  if (data.type !== "content_block_start" || !isRecord(data.content_block)) return false;
  const block = data.content_block;
  if (block.type !== "tool_use" || block.input !== undefined) return false;
  block.input = {};
  return true;
}

/** The stop reason a `message_delta` carries, if any. */
function stopReasonOf(data: Record<string, unknown>): string | undefined {
  const delta = data.delta;
  return isRecord(delta) && typeof delta.stop_reason === "string" ? delta.stop_reason : undefined;
}

/**
 * `event`, which came without a name, named after its data's `type` (an `event:` line with no
 * name goes: the last one would win). A type that cannot be a name is left as it came.
 */
function named(event: string, type: unknown): string {
  if (typeof type !== "string" || !EVENT_NAME.test(type)) return event;
  const lines = event.split("\n").filter((line) => !line.startsWith("event:"));
  return [`event: ${type}`, ...lines].join("\n");
}

const EVENT_NAME = /^[a-z_]+$/;

/** `event` with its data lines replaced by `data`, written out again. */
function withData(event: string, data: Record<string, unknown>): string {
  const lines = event.split("\n").filter((line) => !line.startsWith("data:"));
  return [...lines, `data: ${JSON.stringify(data)}`].join("\n");
}
