/**
 * Parsed SSE messages -> typed upstream events. One
 * `JSON.parse` per chunk and a shape check, no schema validation: the translator reads
 * every field through type guards, which keeps the hot path cheap.
 */

import { isRecord } from "../../core/json.ts";
import type { EventSourceMessage } from "eventsource-parser/stream";
import type { ChatCompletionChunk, ChatUsage } from "../../protocols/openai_chat.ts";
import { clipData, type MalformedEvent, notAnObject, notJson } from "../malformed_event.ts";

/** What the translator consumes. */
export type UpstreamEvent =
  | { kind: "chunk"; chunk: ChatCompletionChunk }
  | { kind: "done" }
  | MalformedEvent
  /**
   * `said`: the event's data as the upstream sent it (the guards read its words); `usage`: the
   * counts the chunk carrying the error reported (Groq's `x_groq.usage` rides with its error).
   */
  | {
    kind: "error";
    message: string;
    code?: string | number;
    type?: string;
    said?: string;
    usage?: ChatUsage;
  };

/** What an upstream error value says: its message, and its code and type when it has them. */
export interface UpstreamErrorInfo {
  message: string;
  code?: string | number;
  type?: string;
}

/** Reads `{message, code, type}` out of the many shapes of an error value. */
export function describeUpstreamError(value: unknown): UpstreamErrorInfo {
  if (typeof value === "string") return { message: value };
  if (!isRecord(value)) return { message: JSON.stringify(value) };
  const code = typeof value.code === "string" || typeof value.code === "number"
    ? value.code
    : undefined;
  let message = typeof value.message === "string" ? value.message : JSON.stringify(value);
  // OpenRouter puts the provider's own message under metadata.raw.
  const meta = value.metadata;
  if (isRecord(meta) && typeof meta.raw === "string" && meta.raw && !message.includes(meta.raw)) {
    message += ` (${meta.raw.slice(0, 300)})`;
  }
  const type = typeof value.type === "string" && value.type ? value.type : undefined;
  return { message, ...(code === undefined ? {} : { code }), ...(type ? { type } : {}) };
}

/**
 * The error a chunk reports, if any: in `error` (OpenAI, vLLM, OpenRouter), or, where Groq says
 * why it stopped a stream early, a string in `x_groq.error` beside an ordinary chunk (whose finish
 * may even say `stop`: the answer is cut all the same).
 */
function errorOfChunk(parsed: Record<string, unknown>): unknown {
  if (parsed.error !== undefined && parsed.error !== null) return parsed.error;
  const groq = parsed.x_groq;
  if (isRecord(groq) && typeof groq.error === "string" && groq.error) return groq.error;
  return undefined;
}

/** Turns one SSE message into an upstream event, or `null` to skip it. */
export function toUpstreamEvent(message: EventSourceMessage): UpstreamEvent | null {
  const data = message.data;
  if (message.event === "error") {
    try {
      const parsed: unknown = JSON.parse(data);
      return {
        kind: "error",
        ...describeUpstreamError(isRecord(parsed) && "error" in parsed ? parsed.error : parsed),
        said: data,
      };
    } catch {
      return { kind: "error", message: clipData(data) || "upstream sent an error event" };
    }
  }
  if (data.length === 0) return null;
  if (data.length < 16 && data.trim() === "[DONE]") return { kind: "done" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (err) {
    return notJson(data, err);
  }
  if (!isRecord(parsed)) return notAnObject(data);
  const error = errorOfChunk(parsed);
  if (error !== undefined) {
    const groq = parsed.x_groq;
    const usage = parsed.usage ?? (isRecord(groq) ? groq.usage : undefined);
    return {
      kind: "error",
      ...describeUpstreamError(error),
      said: data,
      ...(isRecord(usage) ? { usage: usage as ChatUsage } : {}),
    };
  }
  return { kind: "chunk", chunk: parsed as ChatCompletionChunk };
}
