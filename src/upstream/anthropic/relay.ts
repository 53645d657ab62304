/** Relays an Anthropic SSE stream from upstream to client as it arrives, event by event. */

import type { AnthropicErrorBody, AnthropicErrorType } from "../../core/errors.ts";
import { scrubSecrets } from "../../core/secrets.ts";
import { sseFrame } from "../../core/sse.ts";
import type { UsageTotals } from "../transport.ts";
import {
  type EventVerdict,
  inspectEvent,
  lastEventEnd,
  noteUsage,
  splitEvents,
} from "./stream_events.ts";

/** How a relayed stream ended. */
export interface RelayOutcome {
  usage: UsageTotals;
  /** Set when the stream ended with an error frame. */
  error?: string;
  /** Set when the client went away first. */
  cancelled?: boolean;
}

/** Options for {@link relayAnthropicStream}. */
export interface RelayOptions {
  /** Model name the client sent; it replaces the upstream's in `message_start`. */
  clientModel: string;
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
  /** Called once, when the first bytes go to the client (time to first token). */
  onFirstByte?: () => void;
  /** Put `clientModel` into message_start (default true; off when it is already there). */
  rewriteModel?: boolean;
  /** Send `event: ping` after this long without upstream data (default 10 s; 0 = never). */
  pingIntervalMs?: number;
  /**
   * Parse every event's JSON (default true). Off for ccp's own translated output, whose content
   * block events are well-formed by construction; the events that carry usage, the end or an
   * error are read either way.
   */
  checkEveryEvent?: boolean;
  /** Aborted when ccp shuts down: the stream ends with one `overloaded_error` saying so. */
  shutdown?: AbortSignal;
}

const encoder = new TextEncoder();
const PING = encoder.encode(sseFrame("ping", { type: "ping" }));
const DEFAULT_PING_MS = 10_000;
// An upstream that never ends its event must not make ccp hold an unbounded buffer.
const MAX_EVENT_CHARS = 16 * 1024 * 1024;
// The bulk of a stream, and nothing in it that the relay acts on.
const CONTENT_EVENT = /^event: content_block_(?:delta|start|stop)\r?\n/;
const PASS: EventVerdict = { kind: "pass" };

/**
 * Pipes `upstream` to the client one whole event at a time, each event's JSON checked once. The
 * stream ends with exactly one well-formed `event: error` when anything goes wrong — an upstream
 * error event (its text scrubbed of the provider's keys), malformed JSON, a broken connection,
 * or an early close — so the client never sees two errors, raw garbage, or a half-open stream.
 */
export function relayAnthropicStream(
  upstream: ReadableStream<Uint8Array>,
  options: RelayOptions,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  const usage: UsageTotals = {};
  let rewrite = options.rewriteModel !== false;
  const checkAll = options.checkEveryEvent !== false;
  // Text of an event whose blank line has not arrived yet.
  const held = new HeldText();
  let finished = false;
  let sentAny = false;
  let lastDataAt = performance.now();
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  const pingMs = options.pingIntervalMs ?? DEFAULT_PING_MS;

  // One timer per stream (not one per chunk): when it fires it checks how long the upstream has
  // been silent, pings if that is past the interval, and re-arms for the time that remains.
  // Pings go only once the client has seen the stream start (events are always sent whole).
  const pingCheck = () => {
    pingTimer = undefined;
    if (finished || !out) return;
    if (performance.now() - lastDataAt >= pingMs) {
      if (sentAny) out.enqueue(PING);
      lastDataAt = performance.now();
    }
    pingTimer = setTimeout(pingCheck, Math.max(1, pingMs - (performance.now() - lastDataAt)));
  };

  const finish = (outcome: Omit<RelayOutcome, "usage">) => {
    if (finished) return;
    finished = true;
    clearTimeout(pingTimer);
    options.onEnd?.({ usage, ...outcome });
  };

  const send = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    controller.enqueue(bytes);
    if (!sentAny) options.onFirstByte?.();
    sentAny = true;
  };

  /** Sends the one error frame of this stream and ends it (the upstream is not read further). */
  const fail = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    message: string,
    type: AnthropicErrorType = "api_error",
  ) => {
    const clean = scrubSecrets(message, options.keys);
    const body: AnthropicErrorBody = { type: "error", error: { type, message: clean } };
    send(controller, encoder.encode(sseFrame("error", body)));
    controller.close();
    finish({ error: clean });
    reader.cancel().catch(() => {});
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      out = controller;
      if (pingMs > 0) pingTimer = setTimeout(pingCheck, pingMs);
      options.shutdown?.addEventListener("abort", () => {
        if (!finished) fail(controller, "ccp is shutting down", "overloaded_error");
      }, { once: true });
    },
    // A pull must enqueue or close before it returns: the stream does not pull again by itself.
    async pull(controller) {
      while (!(await step(controller)));
    },
    async cancel(reason) {
      options.onCancel?.();
      finish({ cancelled: true });
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });

  /** Reads one upstream chunk; true once something was enqueued or the stream closed. */
  async function step(controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
      // Ended meanwhile (ccp shutting down): the client has its last frame already.
      if (finished) return true;
    } catch (error) {
      if (finished) return true;
      const reason = options.describeError?.(error) ??
        (error instanceof Error ? error.message : String(error));
      fail(controller, `${options.describeUpstream} failed mid-stream: ${reason}`);
      return true;
    }
    if (result.done) {
      // An upstream that forgot the blank line after its last event still sent that event.
      const rest = held.take() + decoder.decode();
      if (rest.trim() !== "" && relayEvents(controller, `${rest}\n\n`, undefined)) return true;
      fail(controller, `${options.describeUpstream} closed the stream before message_stop`);
      return true;
    }
    lastDataAt = performance.now();
    const fresh = decoder.decode(result.value, { stream: true });
    const found = lastEventEnd(held.tail + fresh);
    if (found === 0) {
      held.add(fresh);
      if (held.length <= MAX_EVENT_CHARS) return false;
      fail(controller, `${options.describeUpstream} sent a stream event larger than 16 MiB`);
      return true;
    }
    // The common case, one chunk of whole events, is forwarded as the bytes that came in.
    const whole = held.length === 0 && found === fresh.length ? result.value : undefined;
    const text = held.take() + fresh;
    const end = text.length - fresh.length - Math.min(3, text.length - fresh.length) + found;
    held.add(text.slice(end));
    return relayEvents(controller, text.slice(0, end), whole);
  }

  /**
   * Checks and forwards whole events; true when the stream ended (message_stop or an error).
   * `bytes` are the same events as received, when they can be forwarded untouched.
   */
  function relayEvents(
    controller: ReadableStreamDefaultController<Uint8Array>,
    text: string,
    bytes: Uint8Array | undefined,
  ): boolean {
    const events = splitEvents(text);
    let passed = 0;
    let changed = false;
    for (const event of events) {
      const verdict = checkAll || !CONTENT_EVENT.test(event) ? inspectEvent(event) : PASS;
      if (verdict.kind === "pass") {
        if (verdict.data) {
          noteUsage(usage, verdict.data);
          if (rewrite && verdict.data.type === "message_start") {
            events[passed] = withClientModel(event, verdict.data, options.clientModel);
            rewrite = false;
            changed = true;
          }
        }
        passed++;
        continue;
      }
      // Only part of what came in goes on: those events are written out again.
      forward(controller, events.slice(0, passed), undefined);
      if (verdict.kind === "stop") {
        send(controller, encoder.encode(`${event}\n\n`));
        controller.close();
        finish({});
        reader.cancel().catch(() => {});
      } else if (verdict.kind === "error") {
        fail(controller, verdict.message, verdict.type);
      } else {
        fail(controller, `${options.describeUpstream} sent ${verdict.detail}`);
      }
      return true;
    }
    forward(controller, events, changed ? undefined : bytes);
    return false;
  }

  function forward(
    controller: ReadableStreamDefaultController<Uint8Array>,
    events: readonly string[],
    bytes: Uint8Array | undefined,
  ): void {
    if (events.length === 0) return;
    send(controller, bytes ?? encoder.encode(`${events.join("\n\n")}\n\n`));
  }
}

/**
 * Text held until its event's blank line arrives, kept as pieces: joining or slicing it on every
 * read would let an upstream that trickles one huge event cost ccp O(n²).
 */
class HeldText {
  #pieces: string[] = [];
  length = 0;
  /** The last 3 characters (a blank line split across reads starts there). */
  tail = "";

  add(text: string): void {
    if (text === "") return;
    this.#pieces.push(text);
    this.length += text.length;
    this.tail = (this.tail + text).slice(-3);
  }

  /** Everything held, which is then released. */
  take(): string {
    const text = this.#pieces.join("");
    this.#pieces = [];
    this.length = 0;
    this.tail = "";
    return text;
  }
}

/** The `message_start` event with the client's model name in place of the upstream's. */
function withClientModel(event: string, data: Record<string, unknown>, model: string): string {
  const message = data.message;
  if (typeof message !== "object" || message === null) return event;
  (message as Record<string, unknown>).model = model;
  const eol = event.includes("\r\n") ? "\r\n" : "\n";
  const lines = event.split(/\r?\n/).filter((line) => !line.startsWith("data:"));
  return [...lines, `data: ${JSON.stringify(data)}`].join(eol);
}

/** Puts the client's model name into a `message_start` event; other events pass unchanged. */
export function rewriteModel(event: string, model: string): string {
  const verdict = inspectEvent(event);
  if (verdict.kind !== "pass" || verdict.data?.type !== "message_start") return event;
  return withClientModel(event, verdict.data, model);
}
