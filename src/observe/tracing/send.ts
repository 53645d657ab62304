/**
 * One batch of spans posted to an OTLP/HTTP collector as JSON, retried as the protocol asks: on
 * 429, 502, 503 and 504 and when no answer came, after the collector's `Retry-After` or an
 * exponential backoff with jitter; never on another status (a 400 would fail again).
 */

import type { TracingConfig } from "../../config/types.ts";
import {
  headerCredentials,
  redactUrlCredentials,
  shownAddress,
  withoutKeys,
} from "../../core/secrets.ts";
import { VERSION } from "../../version.ts";
import type { KeyValue, OtlpSpan } from "./spans.ts";

/** How a batch fared. */
export interface Delivery {
  /** Spans the collector took. */
  readonly accepted: number;
  /** Spans it refused (a partial success), or that never reached it. */
  readonly lost: number;
  /** Why some were lost, for the log: no header value, no span content. */
  readonly problem?: string;
  /** True when the collector got none of them: the batch failed, rather than some spans in it. */
  readonly failed: boolean;
}

/** How a batch is sent. */
export interface SendOptions {
  readonly fetch: typeof fetch;
  /** Aborted when ccp stops waiting for the collector: no more tries, no more waits. */
  readonly stop: AbortSignal;
  /** Tries in all (the first one included). */
  readonly tries: number;
  /** The first backoff; each next one doubles, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** The whole export's bound, its tries and waits included; 0: none. */
  readonly exportTimeoutMs?: number;
}

const RETRIED = new Set([429, 502, 503, 504]);
/** A collector's answer is read this far (its error message), never further. */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * The export request's body: one resource (ccp), one scope, the spans. A resource names each
 * attribute once, so a `service.version` the user set replaces ccp's own.
 */
export function exportBody(spans: readonly OtlpSpan[], tracing: TracingConfig): string {
  const named = { "service.version": VERSION, ...tracing.resource };
  const resource: KeyValue[] = [
    { key: "service.name", value: { stringValue: tracing.serviceName } },
    ...Object.entries(named).map(([key, stringValue]) => ({ key, value: { stringValue } })),
  ];
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: resource },
      scopeSpans: [{ scope: { name: "ccp", version: VERSION }, spans }],
    }],
  });
}

/** Posts `spans` until the collector takes them, refuses them, or the tries run out. */
export async function sendBatch(
  spans: readonly OtlpSpan[],
  tracing: TracingConfig,
  options: SendOptions,
): Promise<Delivery> {
  const json = exportBody(spans, tracing);
  const body = tracing.compression === "gzip" ? await gzipped(json) : json;
  const secrets = headerCredentials(tracing.headers).filter((value) => value.length >= 4);
  // The body is JSON, compressed or not, whatever a header setting says.
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [name, value] of Object.entries(tracing.headers)) {
    const lower = name.toLowerCase();
    if (lower !== "content-type" && lower !== "content-encoding") headers[name] = value;
  }
  if (tracing.compression === "gzip") headers["content-encoding"] = "gzip";
  let problem = "ccp stopped before they were sent";
  const bound = options.exportTimeoutMs ?? 0;
  const endsAt = bound > 0 ? performance.now() + bound : Infinity;
  for (let tryNo = 1; tryNo <= options.tries; tryNo++) {
    if (options.stop.aborted) break;
    let waitMs: number | undefined;
    // A try gets its own timeout, or what is left of the export's bound when that is less.
    const tryMs = Math.max(1, Math.min(tracing.timeoutMs, endsAt - performance.now()));
    try {
      const response = await options.fetch(tracing.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.any([options.stop, AbortSignal.timeout(tryMs)]),
        // Followed, a redirect would send the headers (the collector's keys) wherever it points.
        redirect: "manual",
      });
      const answer = await readCapped(response);
      if (response.ok) return accepted(spans.length, answer, secrets);
      problem = response.status >= 300 && response.status < 400
        ? `HTTP ${response.status} (${redirected(response.headers.get("location"), secrets)})`
        : `HTTP ${response.status}${said(answer, secrets)}${unzipHint(response.status, tracing)}`;
      if (!RETRIED.has(response.status)) break;
      waitMs = retryAfterMs(response.headers.get("retry-after"));
    } catch (error) {
      problem = error instanceof DOMException && error.name === "TimeoutError"
        ? `no answer within ${Math.round(tryMs)} ms`
        : options.stop.aborted
        ? "ccp stopped before the collector answered"
        : `cannot reach it (${
          withoutKeys(redactUrlCredentials(unnamed(error, tracing)), secrets)
        })`;
    }
    if (tryNo === options.tries) break;
    const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (tryNo - 1));
    const wait = waitMs ?? backoff * (0.8 + Math.random() * 0.4);
    // A wait past the export's bound would end in no try: the batch is given up now.
    if (performance.now() + wait >= endsAt) {
      problem += ` (export time of ${bound} ms spent)`;
      break;
    }
    await pause(wait, options.stop);
  }
  return { accepted: 0, lost: spans.length, problem, failed: true };
}

// A collector that takes no gzip answers 415 Unsupported Media Type: the fix is ccp's setting
// (the block's wins over the compression variables).
function unzipHint(status: number, tracing: TracingConfig): string {
  return status === 415 && tracing.compression === "gzip"
    ? " (the collector may not take gzip: set tracing.compression: none)"
    : "";
}

/** `text` gzip-compressed: encoded once per batch, its tries all send the same bytes. */
async function gzipped(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A 200's partial success: the spans the collector says it rejected, and its reason. */
function accepted(count: number, answer: string, secrets: readonly string[]): Delivery {
  let rejected = 0;
  let message = "";
  try {
    const parsed = JSON.parse(answer) as { partialSuccess?: Record<string, unknown> };
    rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0;
    message = String(parsed.partialSuccess?.errorMessage ?? "");
  } catch {
    // An empty or protobuf answer is a full success.
  }
  rejected = Math.min(count, Math.max(0, rejected));
  if (rejected === 0) return { accepted: count, lost: 0, failed: false };
  return {
    accepted: count - rejected,
    lost: rejected,
    problem: `it rejected ${rejected} of ${count} spans${said(message, secrets)}`,
    failed: false,
  };
}

/** The collector's own words, cut short and without the headers' values. */
function said(text: string, secrets: readonly string[]): string {
  let message = text.trim();
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Plain text, as some collectors answer.
  }
  message = withoutKeys(message.replace(/\s+/g, " "), secrets).slice(0, 200);
  return message === "" ? "" : `: ${message}`;
}

/** A redirect's target, without credentials, and why it was not followed. */
function redirected(location: string | null, secrets: readonly string[]): string {
  const to = location
    ? ` to ${withoutKeys(redactUrlCredentials(location), secrets).slice(0, 200)}`
    : "";
  return `a redirect${to}, not followed: the collector's headers go to its own URL only; set ` +
    "the URL it redirects to";
}

/** `Retry-After` in seconds or as a date, capped at a minute; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const seconds = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(seconds) ? Math.min(60_000, Math.max(0, seconds)) : undefined;
}

/** The start of a response body (the rest is cancelled). */
async function readCapped(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes.subarray(0, MAX_ANSWER_BYTES));
}

/** A network error's words; the URL they may name goes without its query (a key may sit there). */
function unnamed(error: unknown, tracing: TracingConfig): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replaceAll(tracing.url, shownAddress(tracing.url));
}

/** Waits `ms`, or less when `stop` aborts. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
  });
}
