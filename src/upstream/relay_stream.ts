/**
 * The one stage every streamed answer goes through on its way to the client: it reads the
 * upstream body, lets a frame source turn each chunk into Anthropic SSE bytes (a passthrough
 * source checks the upstream's own events, a translating one writes them from another
 * protocol's), and adds what every stream needs the same way: one well-formed error frame when
 * anything goes wrong, pings through upstream silence, usage and the end for the log, the
 * upstream cancelled when the client leaves or when it has finished but keeps its connection open,
 * and a last frame when ccp shuts down. One stage, not a pipe of several: each stream hop costs per
 * chunk.
 */

import { type Cancel, deadline } from "../core/deadlines.ts";
import { type ChunkReader, chunksOf } from "../resilience/body_guard.ts";
import type { MidStreamError } from "../resilience/broken_answer.ts";
import { type AnthropicErrorType, errorBody, messageOf } from "../core/errors.ts";
import { scrubSecrets } from "../core/secrets.ts";
import { sseFrame } from "../core/sse.ts";
import { FINISH_GRACE_MS, readUntil } from "./finish_grace.ts";
import type { UsageTotals } from "./transport.ts";

/** How the stream ends after a chunk's frames, when it does. */
export type StreamEnd =
  /** `message_stop` was among the frames: the answer is complete. */
  | { readonly kind: "stop" }
  /**
   * The stream ends with this error (the source words the message). `said`: the upstream's own
   * words, when it reported the error, and `status`: the one it stands for when `type` does not
   * say it (a refused key), both for the guards (never sent on).
   */
  | {
    readonly kind: "error";
    readonly message: string;
    readonly type?: AnthropicErrorType;
    readonly said?: string;
    readonly status?: number;
  }
  /** Nothing more will come, though no `message_stop` did. */
  | { readonly kind: "cut" };

/** What one upstream chunk (or the body's end) turned into. */
export interface Frames {
  /** Whole Anthropic SSE events to send now; none while an event is still incomplete. */
  readonly bytes?: Uint8Array;
  /** Set when the stream is over once `bytes` are sent. */
  readonly end?: StreamEnd;
}

/** Turns an upstream body, chunk by chunk, into the client's Anthropic SSE. */
export interface FrameSource {
  /** Token counts seen so far (from `message_start` and `message_delta`). */
  readonly usage: UsageTotals;
  /** The stop reason the answer's `message_delta` gave, once one came. */
  readonly stopReason?: string;
  /** Characters of answer (text, thinking, tool input) sent on so far. */
  readonly answerChars: number;
  /**
   * True once the upstream said its answer is finished and only optional data may follow: the
   * relay then waits for the body's end only briefly, and a read that fails counts as that end.
   */
  readonly finishing?: boolean;
  /**
   * True when `push` is done with a chunk's bytes once it returns (it keeps none and passes none
   * on): the reader may then lend each chunk from its reused buffer instead of copying it.
   */
  readonly borrowsChunks?: boolean;
  /** The frames one upstream chunk completes. */
  push(bytes: Uint8Array): Frames;
  /** The body ended: the frames it still held. Without an `end`, the stream was cut short. */
  end(): Frames;
}

/** How a relayed stream ended. */
export interface RelayOutcome {
  usage: UsageTotals;
  stopReason?: string;
  /** Set when the stream ended with an error frame. */
  error?: string;
  /** Set when that error was the source's (the upstream reported it, or it broke its protocol). */
  reported?: MidStreamError;
  /** Set when the client went away first. */
  cancelled?: boolean;
}

/** What a relay does around its frame source. */
export interface RelayHooks {
  /** Names the upstream in error frames. */
  describeUpstream: string;
  /** The provider's keys: scrubbed from every error text that reaches the client. */
  keys?: readonly string[];
  /** Turns a read failure into a message (e.g. which timeout fired). */
  describeError?: (error: unknown) => string;
  /** Called once when the stream is over, however it ended. */
  onEnd?: (outcome: RelayOutcome) => void;
  /** Called when the client cancels, to abort the upstream request at once. */
  onCancel?: () => void;
  /**
   * Called once, when the first answer content (text, thinking, tool input) goes to the client:
   * the time to first token. Not at `message_start`, which an upstream may send at once and then
   * work on the prompt for seconds.
   */
  onFirstContent?: () => void;
  /** Send `event: ping` after this long without upstream data (default 10 s; 0 = never). */
  pingIntervalMs?: number;
  /** Aborted when ccp shuts down: the stream ends with one `overloaded_error` saying so. */
  shutdown?: AbortSignal;
}

/**
 * The largest event a source holds while waiting for its end (characters or bytes): an upstream
 * that never ends its event must not make ccp hold an unbounded buffer.
 */
export const MAX_EVENT_SIZE = 16 * 1024 * 1024;

/** How a stream ends when its upstream sent an event past {@link MAX_EVENT_SIZE}. */
export function eventTooLarge(describeUpstream: string): StreamEnd {
  return { kind: "error", message: `${describeUpstream} sent a stream event larger than 16 MiB` };
}

const encoder = new TextEncoder();
const ENDED: ReadableStreamReadResult<Uint8Array> = { done: true, value: undefined };
const PING = encoder.encode(sseFrame("ping", { type: "ping" }));
const DEFAULT_PING_MS = 10_000;

/**
 * Pipes `upstream` to the client through `source`. The stream ends with exactly one well-formed
 * `event: error` when anything goes wrong -- an error the source found (its text scrubbed of the
 * provider's keys), a broken connection, or an early close -- so the client never sees two
 * errors, raw garbage, or a half-open stream.
 */
export function relayFrames(
  upstream: ReadableStream<Uint8Array>,
  source: FrameSource,
  hooks: RelayHooks,
): ReadableStream<Uint8Array> {
  return new FrameRelay(chunksOf(upstream, source.borrowsChunks === true), source, hooks).stream();
}

type Client = ReadableStreamDefaultController<Uint8Array>;

/** One relayed stream: what the client has had, when it last had anything, and how it ended. */
class FrameRelay {
  readonly #reader: ChunkReader;
  readonly #source: FrameSource;
  readonly #hooks: RelayHooks;
  readonly #pingMs: number;
  /** Set once the stream is over, however it ended: nothing is sent or reported after that. */
  #finished = false;
  /** Set once the client has had a frame: pings wait for the stream to start. */
  #sentAny = false;
  /** Set once answer content went to the client (the time to first token is reported once). */
  #contentSent = false;
  /** When the client last had something: silence is measured on what it receives. */
  #lastSentAt = performance.now();
  #cancelPing: Cancel | undefined;
  /** When the wait for what may follow the upstream's finish is over (set once it finished). */
  #graceEndsAt: number | undefined;
  #client: Client | undefined;
  // Set in start(); removed once the stream is over, so a finished stream is not kept alive by
  // the server-wide shutdown signal.
  #onShutdown = () => {};

  constructor(
    reader: ChunkReader,
    source: FrameSource,
    hooks: RelayHooks,
  ) {
    this.#reader = reader;
    this.#source = source;
    this.#hooks = hooks;
    this.#pingMs = hooks.pingIntervalMs ?? DEFAULT_PING_MS;
  }

  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#client = controller;
        this.#onShutdown = () => {
          if (!this.#finished) this.#fail(controller, "ccp is shutting down", "overloaded_error");
        };
        const shutdown = this.#hooks.shutdown;
        if (shutdown?.aborted) return this.#onShutdown();
        shutdown?.addEventListener("abort", this.#onShutdown, { once: true });
        if (this.#pingMs > 0 && !this.#finished) {
          this.#cancelPing = deadline(this.#pingMs, this.#pingCheck);
        }
      },
      // A pull must enqueue or close before it returns: the stream does not pull again by
      // itself. One async frame per pull, however many reads it takes (not one per read).
      pull: async (controller) => {
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await this.#read();
          } catch (error) {
            if (this.#readFailed(controller, error)) return;
            result = ENDED;
          }
          if (this.#relayed(controller, result)) return;
        }
      },
      cancel: async (reason) => {
        this.#hooks.onCancel?.();
        this.#finish({ cancelled: true });
        await this.#reader.cancel(reason).catch(() => {});
      },
    }, { highWaterMark: 0 });
  }

  // One timer per stream (not one per chunk): when it fires it checks how long the client has
  // had nothing, pings if that is past the interval, and re-arms for the time that remains.
  // Pings go only once the client has seen the stream start (events are always sent whole).
  #pingCheck = () => {
    this.#cancelPing = undefined;
    if (this.#finished || !this.#client) return;
    if (performance.now() - this.#lastSentAt >= this.#pingMs) {
      if (this.#sentAny) this.#client.enqueue(PING);
      this.#lastSentAt = performance.now();
    }
    const remaining = this.#pingMs - (performance.now() - this.#lastSentAt);
    this.#cancelPing = deadline(Math.max(1, remaining), this.#pingCheck);
  };

  #finish(outcome: Omit<RelayOutcome, "usage">): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cancelPing?.();
    this.#hooks.shutdown?.removeEventListener("abort", this.#onShutdown);
    // Only a stream that reached its end carries the upstream's output count; one cut short (the
    // client left, the upstream failed) was still generated and billed up to there.
    const source = this.#source;
    const usage = outcome.error === undefined && !outcome.cancelled
      ? source.usage
      : withStreamedEstimate(source.usage, source.answerChars);
    const stopReason = source.stopReason;
    this.#hooks.onEnd?.(
      stopReason === undefined ? { usage, ...outcome } : { usage, stopReason, ...outcome },
    );
  }

  // Upstream keep-alives that translate to nothing do not count: they do not keep the client's
  // connection alive.
  #send(controller: Client, bytes: Uint8Array): void {
    controller.enqueue(bytes);
    this.#lastSentAt = performance.now();
    this.#sentAny = true;
    if (!this.#contentSent && this.#source.answerChars > 0) {
      this.#contentSent = true;
      this.#hooks.onFirstContent?.();
    }
  }

  /** Sends the one error frame of this stream and ends it (the upstream is not read further). */
  #fail(
    controller: Client,
    message: string,
    type: AnthropicErrorType = "api_error",
    reported?: MidStreamError,
  ): void {
    const clean = scrubSecrets(message, this.#hooks.keys);
    this.#send(controller, encoder.encode(sseFrame("error", errorBody(type, clean))));
    controller.close();
    this.#finish(reported ? { error: clean, reported } : { error: clean });
    this.#reader.cancel().catch(() => {});
  }

  /** Sends what a chunk completed; true when the stream is over. */
  #deliver(controller: Client, frames: Frames): boolean {
    if (hasBytes(frames)) this.#send(controller, frames.bytes!);
    const end = frames.end;
    if (!end) return false;
    if (end.kind === "stop") {
      controller.close();
      this.#finish({});
      this.#reader.cancel().catch(() => {});
    } else if (end.kind === "error") {
      const reported = end.type && { type: end.type, said: end.said, status: end.status };
      this.#fail(controller, end.message, end.type, reported);
    } else {
      this.#fail(
        controller,
        `${this.#hooks.describeUpstream} closed the stream before message_stop`,
      );
    }
    return true;
  }

  /** The next upstream chunk; once the upstream said it finished, its end after a short grace. */
  #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (!this.#source.finishing) return this.#reader.read();
    this.#graceEndsAt ??= performance.now() + FINISH_GRACE_MS;
    return readUntil(this.#reader, this.#graceEndsAt);
  }

  /** A read of the upstream failed: true once the stream is over for it. */
  #readFailed(controller: Client, error: unknown): boolean {
    // Ended meanwhile (ccp shutting down): the client has its last frame already.
    if (this.#finished) return true;
    // The upstream had said it finished: the connection's end lost nothing the answer needs.
    if (this.#source.finishing) return false;
    const reason = this.#hooks.describeError?.(error) ?? messageOf(error);
    this.#fail(controller, `${this.#hooks.describeUpstream} failed mid-stream: ${reason}`);
    return true;
  }

  /** Relays what one upstream read gave; true once something was enqueued or the stream closed. */
  #relayed(controller: Client, result: ReadableStreamReadResult<Uint8Array>): boolean {
    // Ended meanwhile (ccp shutting down): the client has its last frame already.
    if (this.#finished) return true;
    const source = this.#source;
    let frames: Frames;
    const answered = source.answerChars;
    try {
      frames = result.done ? source.end() : source.push(result.value);
    } catch (error) {
      frames = this.#sourceFailed(error);
    }
    // An upstream still answering after its finish (a server that says it too early) is not cut
    // short: the grace counts from its last output, not from keep-alives (pings).
    if (source.answerChars > answered) this.#graceEndsAt = undefined;
    if (!result.done) return this.#deliver(controller, frames) || hasBytes(frames);
    this.#deliver(controller, frames.end ? frames : { ...frames, end: { kind: "cut" } });
    return true;
  }

  /** A throw from the source (a bug in ccp) ends the stream with one error frame. */
  #sourceFailed(error: unknown): Frames {
    const reason = messageOf(error);
    const message = `ccp could not relay the stream of ${this.#hooks.describeUpstream}: ${reason}`;
    return { end: { kind: "error", message } };
  }
}

/** Output tokens of an answer cut short: at least ~4 characters per token of what was sent. */
function withStreamedEstimate(usage: UsageTotals, answerChars: number): UsageTotals {
  const estimate = Math.ceil(answerChars / CHARS_PER_OUTPUT_TOKEN);
  return estimate > (usage.outputTokens ?? 0) ? { ...usage, outputTokens: estimate } : usage;
}

// English prose and code run ~4 characters per token; text in other scripts runs fewer, so an
// estimate from this errs low.
const CHARS_PER_OUTPUT_TOKEN = 4;

function hasBytes(frames: Frames): boolean {
  return frames.bytes !== undefined && frames.bytes.byteLength > 0;
}
