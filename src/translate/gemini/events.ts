/**
 * Parsed SSE messages of `streamGenerateContent?alt=sse` -> typed events. Each `data:`
 * line is one whole `GenerateContentResponse` JSON object; there is no `[DONE]`
 * sentinel: the stream simply ends after the chunk with `finishReason`.
 */

import { isRecord } from "../../core/json.ts";
import type { EventSourceMessage } from "eventsource-parser";
import type { GeminiResponse } from "../../protocols/gemini.ts";
import { type MalformedEvent, notAnObject, notJson } from "../malformed_event.ts";

/** What the Gemini translator consumes. */
export type GeminiEvent =
  | { kind: "chunk"; chunk: GeminiResponse }
  | MalformedEvent
  | { kind: "error"; message: string; code?: number };

/** Reads `{message, code}` from Gemini's error object `{code, message, status}`. */
export function describeGeminiError(value: unknown): { message: string; code?: number } {
  if (typeof value === "string") return { message: value };
  if (!isRecord(value)) return { message: JSON.stringify(value) };
  const text = typeof value.message === "string" ? value.message : JSON.stringify(value);
  const status = typeof value.status === "string" && value.status ? `${value.status}: ` : "";
  // Gemini refuses a wrong or revoked key with 400 `API_KEY_INVALID`: it stands for a 401.
  const code = refusesKey(value) ? 401 : typeof value.code === "number" ? value.code : undefined;
  return code === undefined ? { message: status + text } : { message: status + text, code };
}

/** Whether Gemini's error refuses the key (reason `API_KEY_INVALID`, sent with a 400). */
function refusesKey(error: Record<string, unknown>): boolean {
  const details = Array.isArray(error.details) ? error.details : [];
  return details.some((d) => isRecord(d) && d.reason === "API_KEY_INVALID");
}

/** Turns one SSE message into an event, or `null` to skip it. */
export function toGeminiEvent(message: EventSourceMessage): GeminiEvent | null {
  const data = message.data;
  if (data.trim().length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (err) {
    return notJson(data, err);
  }
  // An error after the first byte arrives as an error body inside the stream, sometimes
  // wrapped in a one-element array (the shape of the non-SSE stream format).
  if (Array.isArray(parsed) && parsed.length === 1 && isRecord(parsed[0])) parsed = parsed[0];
  if (!isRecord(parsed)) return notAnObject(data);
  if (parsed.error !== undefined && parsed.error !== null) {
    return { kind: "error", ...describeGeminiError(parsed.error) };
  }
  return { kind: "chunk", chunk: parsed as GeminiResponse };
}
