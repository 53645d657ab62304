/**
 * W3C Trace Context as ccp reads it: a caller's `traceparent` continues its trace, and the
 * sampling decision for a trace that starts here is made from its id, so every service that
 * samples by ratio keeps or drops the same traces.
 */

/** The trace a request's spans belong to, and whether they are kept. */
export interface TraceStart {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** The caller's span (16 hex digits) when the request came with a `traceparent`. */
  readonly parentSpanId?: string;
  readonly sampled: boolean;
}

/** How traces are kept: a share of new ones, and a caller's own decision when it made one. */
export interface Sampling {
  readonly sampleRatio: number;
  readonly parentBased: boolean;
}

// version "00" (later versions keep these fields first), trace id, parent id, flags.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ZEROS = /^0+$/;

/** A caller's trace, or undefined for a header that is no valid `traceparent`. */
export function parseTraceparent(
  header: string | undefined,
): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const text = header?.trim() ?? "";
  const match = TRACEPARENT.exec(text);
  if (!match) return undefined;
  const version = match[1]!;
  const traceId = match[2]!;
  const spanId = match[3]!;
  const flags = match[4]!;
  // Version ff is forbidden; version 00 has exactly four fields; ids of zeros are invalid.
  if (version === "ff" || (version === "00" && text.length !== 55)) return undefined;
  if (ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** Where a request's trace starts (the caller's, or a new one) and whether it is kept. */
export function traceStart(traceparent: string | undefined, sampling: Sampling): TraceStart {
  const parent = parseTraceparent(traceparent);
  if (parent) {
    const sampled = sampling.parentBased
      ? parent.sampled
      : keptByRatio(parent.traceId, sampling.sampleRatio);
    return { traceId: parent.traceId, parentSpanId: parent.spanId, sampled };
  }
  const traceId = randomHex(16);
  return { traceId, sampled: keptByRatio(traceId, sampling.sampleRatio) };
}

/**
 * Kept when the trace id's last 13 hex digits (52 random bits, exact in a double) fall below the
 * ratio's share of their range: the same id gets the same answer wherever it is sampled.
 */
export function keptByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return parseInt(traceId.slice(-13), 16) < ratio * 2 ** 52;
}

/**
 * The headers that carry a trace on to an upstream: `traceparent` naming the attempt's span as
 * the parent, with the trace's sampled flag, and the caller's `tracestate` when its trace is the
 * one continued (a state without a valid parent belongs to no trace).
 */
export function propagatedHeaders(
  start: TraceStart,
  spanId: string,
  tracestate: string | null,
): Record<string, string> {
  const headers: Record<string, string> = {
    traceparent: `00-${start.traceId}-${spanId}-${start.sampled ? "01" : "00"}`,
  };
  const state = tracestate?.trim();
  if (start.parentSpanId !== undefined && state) headers.tracestate = state;
  return headers;
}

/** `bytes` random bytes as lowercase hex, never all zeros (an invalid id). */
export function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  let hex = "";
  do {
    crypto.getRandomValues(buffer);
    hex = "";
    for (const b of buffer) hex += b.toString(16).padStart(2, "0");
  } while (ZEROS.test(hex));
  return hex;
}
