/** Relays an Anthropic SSE stream from upstream to client as it arrives, chunk by chunk. */

import { sseFrame } from "../../core/sse.ts";
import type { AnthropicErrorBody } from "../../core/errors.ts";
import { UsageSniffer, type UsageTotals } from "../usage_sniffer.ts";

/** How a relayed stream ended. */
export interface RelayOutcome {
  usage: UsageTotals;
  /** Set when the stream ended with an error frame ccp wrote. */
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
}

const encoder = new TextEncoder();
const PING = encoder.encode(sseFrame("ping", { type: "ping" }));
const DEFAULT_PING_MS = 10_000;
// Give up rewriting the model if the first event is absurdly large; relay it untouched.
const MAX_HEAD_BYTES = 256 * 1024;

/**
 * Pipes `upstream` to the client without buffering (only the first event is held back, to put
 * the client's model name in it). A failure or an early close becomes an `event: error` frame
 * and a clean end, so the client never waits on a half-open stream.
 */
export function relayAnthropicStream(
  upstream: ReadableStream<Uint8Array>,
  options: RelayOptions,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  const sniffer = new UsageSniffer();
  // The first event is held back until complete; undefined once it has been sent.
  let head: string | undefined = options.rewriteModel === false ? undefined : "";
  let endedOnBoundary = true;
  let finished = false;
  let sentAny = false;
  let lastDataAt = performance.now();
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  const pingMs = options.pingIntervalMs ?? DEFAULT_PING_MS;

  // One timer per stream (not one per chunk): when it fires it checks how long the upstream has
  // been silent, pings if that is past the interval, and re-arms for the time that remains.
  // Pings go only between whole events, and only once the client has seen the stream start.
  const pingCheck = () => {
    pingTimer = undefined;
    if (finished || !out) return;
    if (performance.now() - lastDataAt >= pingMs) {
      if (sentAny && endedOnBoundary) out.enqueue(PING);
      lastDataAt = performance.now();
    }
    pingTimer = setTimeout(pingCheck, Math.max(1, pingMs - (performance.now() - lastDataAt)));
  };

  const finish = (outcome: Omit<RelayOutcome, "usage">) => {
    if (finished) return;
    finished = true;
    clearTimeout(pingTimer);
    options.onEnd?.({ usage: sniffer.usage, ...outcome });
  };

  const errorFrame = (message: string): Uint8Array => {
    const body: AnthropicErrorBody = { type: "error", error: { type: "api_error", message } };
    return encoder.encode((endedOnBoundary ? "" : "\n\n") + sseFrame("error", body));
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      out = controller;
      if (pingMs > 0) pingTimer = setTimeout(pingCheck, pingMs);
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
    } catch (error) {
      const reason = options.describeError?.(error) ??
        (error instanceof Error ? error.message : String(error));
      const message = `${options.describeUpstream} failed mid-stream: ${reason}`;
      if (head) controller.enqueue(encoder.encode(head));
      controller.enqueue(errorFrame(message));
      controller.close();
      finish({ error: message });
      return true;
    }
    if (result.done) {
      if (head) controller.enqueue(encoder.encode(head));
      if (!sniffer.sawMessageStop) {
        const message = `${options.describeUpstream} closed the stream before message_stop`;
        controller.enqueue(errorFrame(message));
        controller.close();
        finish({ error: message });
        return true;
      }
      controller.close();
      finish({});
      return true;
    }
    lastDataAt = performance.now();
    const text = decoder.decode(result.value, { stream: true });
    sniffer.feed(text);
    endedOnBoundary = text.endsWith("\n\n") || text.endsWith("\r\n\r\n");
    if (head === undefined) {
      controller.enqueue(result.value);
      if (!sentAny) options.onFirstByte?.();
      sentAny = true;
      return true;
    }
    head += text;
    const boundary = findEventEnd(head);
    if (boundary < 0 && head.length < MAX_HEAD_BYTES) return false; // first event still partial
    const cut = boundary < 0 ? head.length : boundary;
    const first = rewriteModel(head.slice(0, cut), options.clientModel);
    controller.enqueue(encoder.encode(first + head.slice(cut)));
    head = undefined;
    options.onFirstByte?.();
    sentAny = true;
    return true;
  }
}

/** Index just past the first blank line (end of the first SSE event), or -1. */
function findEventEnd(text: string): number {
  const lf = text.indexOf("\n\n");
  const crlf = text.indexOf("\r\n\r\n");
  if (lf < 0) return crlf < 0 ? -1 : crlf + 4;
  if (crlf < 0 || lf < crlf) return lf + 2;
  return crlf + 4;
}

/** Puts the client's model name into a `message_start` event; other events pass unchanged. */
export function rewriteModel(event: string, model: string): string {
  const lines = event.split(/\r?\n/);
  const dataIndex = lines.findIndex((line) => line.startsWith("data:"));
  if (dataIndex < 0) return event;
  try {
    const data = JSON.parse(lines[dataIndex]!.slice(5));
    if (data?.type !== "message_start" || typeof data.message !== "object") return event;
    data.message.model = model;
    const eol = event.includes("\r\n") ? "\r\n" : "\n";
    lines[dataIndex] = `data: ${JSON.stringify(data)}`;
    return lines.join(eol);
  } catch {
    return event;
  }
}
