import { isRecord } from "../../core/json.ts";

/**
 * The events a stream opens with before it says anything: an Anthropic `message_start` and
 * `ping`, the Responses API's `response.created` / `response.in_progress`, a Chat Completions
 * chunk that only names the assistant's role. An upstream can still fail after them (Anthropic's
 * `overloaded_error` comes after `message_start`, OpenRouter's mid-stream errors after the role
 * chunk), so the start that early_error.ts holds runs past them to the first event that carries
 * the answer, an error or the end; until then nothing was lost by failing over.
 */

// Each protocol's opening events begin their data with their type (as the APIs write them).
const OPENING_TYPES =
  /^\{\s*"type"\s*:\s*"(?:message_start|ping|response\.created|response\.in_progress)"/;
// A Chat chunk small enough to be a role-only opening (the check parses it).
const CHAT_OPENING_MAX = 2048;

/** Whether `data` (one SSE data line's value) is an opening event that says nothing yet. */
export function isPreamble(data: string): boolean {
  if (OPENING_TYPES.test(data)) return true;
  if (data.length > CHAT_OPENING_MAX || !data.includes('"role"')) return false;
  return isRoleOnlyChunk(data);
}

/** A Chat Completions chunk whose only news is the assistant's role (empty content, no reason). */
function isRoleOnlyChunk(data: string): boolean {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return false;
  }
  if (!isRecord(chunk) || chunk.object !== "chat.completion.chunk" || "error" in chunk) {
    return false;
  }
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1 || !isRecord(choices[0])) return false;
  const { delta, finish_reason: finish } = choices[0];
  if (finish !== null && finish !== undefined) return false;
  if (!isRecord(delta) || typeof delta.role !== "string") return false;
  // Nothing but the role: every other field empty (providers send `content: ""`, `null`s).
  return Object.entries(delta).every(([key, value]) =>
    key === "role" || value === null || value === "" ||
    (Array.isArray(value) && value.length === 0)
  );
}
