/**
 * An upstream that answers 200 and then sends an error has not answered at all: OpenRouter and
 * some gateways put a rate limit or an outage in the first event of a stream (or, without
 * streaming, in a 200 JSON body), Anthropic-compatible gateways an `overloaded_error`. Read
 * before the response is handed on, such an error is turned into the HTTP error it stands for, so
 * the request fails over, rotates its key or retries exactly as if the upstream had said so in
 * its status line.
 *
 * A stream that ends, or says `[DONE]`, before any event is a failed answer too (a 502): relayed,
 * it would be an empty turn that silently ends Claude Code's work.
 *
 * Only the start is held: up to a stream's first event that is not an opening one (see
 * stream_preamble.ts: `message_start`, `ping`, a role-only chunk...), at most 64 KiB and 10 s (the
 * client gets no byte meanwhile, and a proxy between it and ccp may give up on a silent connection;
 * a model still thinking after 10 s has its stream handed on, keep-alives and all), under the
 * provider's first-byte and idle timeouts. A healthy stream's opening and first content come
 * together, so it is handed on after its first chunk or two. A JSON answer is looked at only
 * when its first chunk mentions an "error" member. A body that opens with its error member but
 * came in pieces is read on until it is whole, under the same limits (error bodies are small), so
 * that an over-long prompt refused in it moves a chain on as the same refusal with its status does.
 */

import { type Cancel, deadline } from "../../core/deadlines.ts";
import { CONTENT_TYPE, copyHeaders } from "../../core/headers.ts";
import { isRecord } from "../../core/json.ts";
import { statusOfAnswerError } from "../../core/answer_body_error.ts";
import { isPreamble } from "./stream_preamble.ts";
import type { BodyStart } from "../../resilience/timeouts.ts";

const HOLD_BYTES = 64 * 1024;
const HOLD_MS = 10_000;
const HELD_TOO_LONG = Symbol("held too long");

// The answers made here, so the error message can say what the upstream really sent.
const made = new WeakMap<Response, string>();

/** How the upstream answered, when `response` was made from the start of its stream. */
export function earlyAnswerOf(response: Response): string | undefined {
  return made.get(response);
}

/**
 * A protocol's own reading of an answer's first event (or whole JSON body): true when the answer
 * failed though it came as a 2xx with no error in it, so it stands for a 502 too.
 */
export type FailedStart = (data: string) => boolean;

/**
 * The error response a 2xx answer's start stands for, or undefined to hand the answer on.
 * `holdMs`: how long a stream's start may be held (tests shorten it).
 */
export function earlyError(
  response: Response,
  start: BodyStart,
  holdMs = HOLD_MS,
  failed?: FailedStart,
): Promise<Response | undefined> | undefined {
  const type = response.headers.get(CONTENT_TYPE) ?? "";
  if (type.includes("text/event-stream")) return streamStart(response, start, holdMs, failed);
  if (type.includes("json")) return jsonError(response, start, holdMs, failed);
  return undefined;
}

async function streamStart(
  response: Response,
  start: BodyStart,
  holdMs: number,
  failed: FailedStart | undefined,
): Promise<Response | undefined> {
  const streamDecoder = new TextDecoder();
  const holdUntil = performance.now() + holdMs;
  let text = "";
  let held = 0;
  // Where the next data line is looked for: the opening events before it are read once.
  let from = 0;
  for (let chunk = start.first; chunk;) {
    held += chunk.byteLength;
    text += streamDecoder.decode(chunk, { stream: true });
    let found = nextData(text, from);
    while (found && isPreamble(found.data)) found = nextData(text, from = found.end);
    const data = found?.data;
    // A stream that says it is done before saying anything answered nothing: as one that ends.
    if (data === "[DONE]") break;
    if (data !== undefined) {
      if (failed?.(data)) return answer(data, 502, response.headers, failedHow(response, "event"));
      const error = errorAnswer(data, response, ", then an error as its first event");
      return error === UNREADABLE ? undefined : error;
    }
    if (held >= HOLD_BYTES) return undefined;
    const next = await within(start.readAhead(), holdUntil - performance.now());
    if (next === HELD_TOO_LONG) return undefined; // the read under way reaches the client first
    chunk = next;
  }
  return answer(
    JSON.stringify({ error: { message: "the stream ended before its first event" } }),
    502,
    response.headers,
    `answered HTTP ${response.status} with an empty stream`,
  );
}

/** `read`, unless `ms` pass first. */
async function within<T>(read: Promise<T>, ms: number): Promise<T | typeof HELD_TOO_LONG> {
  read.catch(() => {}); // when given up on, its failure reaches the client through the body
  let cancel: Cancel = () => {};
  const late = new Promise<typeof HELD_TOO_LONG>((resolve) => {
    cancel = deadline(Math.max(0, ms), () => resolve(HELD_TOO_LONG));
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    cancel();
  }
}

/**
 * The value of the first complete `data:` line at or after `from`, and where its line ends; or
 * undefined while none is complete.
 */
function nextData(text: string, from: number): { data: string; end: number } | undefined {
  let at = from;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    const cr = text.indexOf("\r", at);
    if (cr >= 0 && (end < 0 || cr < end)) end = cr;
    if (end < 0) return undefined;
    if (text.startsWith("data:", at)) return { data: text.slice(at + 5, end).trim(), end: end + 1 };
    at = end + 1;
  }
  return undefined;
}

const decoder = new TextDecoder();
// An `error` member that is not null, or a `type` that is "error".
const MAY_BE_ERROR = /"error"\s*:\s*[^\sn]|"type"\s*:\s*"error"/;

async function jsonError(
  response: Response,
  start: BodyStart,
  holdMs: number,
  failed: FailedStart | undefined,
): Promise<Response | undefined> {
  if (!start.first) return undefined;
  let bytes = start.first;
  let text = decoder.decode(bytes);
  const holdUntil = performance.now() + holdMs;
  for (;;) {
    if (failed?.(text)) return answer(text, 502, response.headers, failedHow(response, "body"));
    const error = errorAnswer(text, response, " with an error as its body");
    if (error !== UNREADABLE) return error;
    // An error body cut into pieces (a gateway's chunked answer) is read on until it is whole; a
    // healthy answer that only mentions an error member (a tool call's input) is handed on at once.
    if (bytes.byteLength >= HOLD_BYTES || !OPENS_WITH_ERROR.test(text)) return undefined;
    const next = await within(start.readAhead(), holdUntil - performance.now());
    if (next === HELD_TOO_LONG || next === undefined) return undefined;
    const joined = new Uint8Array(bytes.byteLength + next.byteLength);
    joined.set(bytes);
    joined.set(next, bytes.byteLength);
    bytes = joined;
    text = decoder.decode(bytes);
  }
}

function failedHow(response: Response, where: "event" | "body"): string {
  return `answered HTTP ${response.status} with a failed answer as its ${
    where === "event" ? "first event" : "body"
  }`;
}

// A body whose first member is its error (`{"error": ...}`, `{"type": "error", ...}`).
const OPENS_WITH_ERROR = /^\s*\{\s*"(?:error"\s*:|type"\s*:\s*"error")/;
// Text that mentions an error member but is not (yet) whole JSON.
const UNREADABLE = Symbol("not whole JSON");

/**
 * `text` as an error answer when it is a JSON error object; `how` says where it came. UNREADABLE
 * when it may be one but does not parse (a part of it, or no JSON at all).
 */
function errorAnswer(
  text: string,
  response: Response,
  how: string,
): Response | undefined | typeof UNREADABLE {
  // Cheap test first: every healthy answer passes here once, with its first event or chunk, and
  // some carry `"error": null` (the Responses API's first event echoes the whole request).
  if (!text.includes('"error"') || !MAY_BE_ERROR.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNREADABLE;
  }
  if (!isRecord(value)) return undefined;
  // Anthropic and OpenAI Responses: {type: "error", error?: ...}; a Responses answer that failed
  // (the API's server errors and rate limits come so, right after its opening events):
  // {type: "response.failed", response: {error: ...}}; Chat Completions and Gemini: {error: ...}.
  const failed = value.type === "response.failed";
  const error = value.type === "error"
    ? value.error ?? value
    : failed
    ? isRecord(value.response) ? value.response.error : undefined
    : value.error;
  if (error === undefined || error === null || error === false) return undefined;
  return answer(
    // A failed response's error goes on in the shape every error body has.
    failed ? JSON.stringify({ error }) : text,
    // An error that names no status is a bad gateway.
    statusOfAnswerError(error) ?? 502,
    response.headers,
    `answered HTTP ${response.status}${how}`,
  );
}

function answer(body: string, status: number, headers: Headers, how: string): Response {
  const answerHeaders = copyHeaders(headers);
  answerHeaders.set("content-type", "application/json");
  answerHeaders.delete("content-length");
  const response = new Response(body, { status, headers: answerHeaders });
  made.set(response, how);
  return response;
}
