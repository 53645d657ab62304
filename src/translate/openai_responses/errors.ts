/**
 * Errors the Responses API reports inside an answer: `response.failed` (the error in
 * `response.error`) and the `error` stream event. That event is specified with `code`, `message`
 * and `param` at its top level, but the API also sends it with the same fields wrapped in an
 * `error` object (`{"type":"error","error":{"type","code","message"}}`), so each field is read
 * from the top first and from the wrapper second.
 */

import { overflowMessage } from "../../core/context_overflow.ts";
import { isRecord } from "../../core/json.ts";
import { errorTypeOfCode } from "../../core/upstream_status.ts";
import type { AnthropicErrorType } from "../../core/errors.ts";

/** The fields of a reported error that ccp uses. */
export interface ResponsesErrorFields {
  readonly code?: string;
  readonly message?: string;
  /** The wrapper's `type` (`insufficient_quota`, `invalid_request_error`...), when there is one. */
  readonly type?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** Reads an `error` event's fields, whichever of its two shapes it has (or `response.error`). */
export function errorFields(event: Record<string, unknown>): ResponsesErrorFields {
  const inner = isRecord(event.error) ? event.error : {};
  const code = text(event.code) ?? text(inner.code);
  const message = text(event.message) ?? text(inner.message);
  const type = text(inner.type);
  return { ...(code ? { code } : {}), ...(message ? { message } : {}), ...(type ? { type } : {}) };
}

/** The Anthropic error type of reported fields: by code, else by the wrapper's type. */
function errorTypeOf(fields: ResponsesErrorFields): AnthropicErrorType {
  return errorTypeOfCode(fields.code ?? fields.type);
}

/**
 * What the client is told for a reported error. The API reports an over-long prompt this way
 * too (`context_length_exceeded`, inside a stream that already began), and Claude Code compacts
 * the conversation only for Anthropic's wording of it: such an error leads with that wording,
 * the provider's own text kept after it.
 */
export function reportedError(
  said: string,
  fields: ResponsesErrorFields,
): { type: AnthropicErrorType; message: string } {
  const type = errorTypeOf(fields);
  if (type === "invalid_request_error") {
    const message = overflowMessage(400, `${fields.code ?? ""} ${fields.message ?? ""}`, said);
    if (message) return { type, message };
  }
  return { type, message: said };
}
