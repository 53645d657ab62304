/**
 * Splits relayed Anthropic SSE text into whole events and reads each one's JSON once: enough to
 * refuse malformed JSON, stop at the first error, note usage and see the end, without building
 * typed events (the passthrough path stays cheap).
 */

import { type AnthropicErrorType, messageOf } from "../../core/errors.ts";
import { isRecord } from "../../core/json.ts";
import { overflowMessage } from "../../core/context_overflow.ts";
import { clientErrorOfType, midStreamType, refusalStatus } from "../../core/upstream_status.ts";
import { tokenCount, type UsageTotals } from "../transport.ts";
import { reportedCost } from "../../core/reported_cost.ts";
import { FAILED_FINISHES, STOP_REASON_OF_FINISH } from "../../translate/finish_reasons.ts";

/** What one whole SSE event turned out to be. */
export type EventVerdict =
  | { kind: "pass"; data?: Record<string, unknown>; unnamed?: true }
  | { kind: "stop"; unnamed?: true }
  | {
    kind: "error";
    type: AnthropicErrorType;
    message: string;
    /** The upstream's own type when it refused the credential ccp sent it (401/403). */
    refusedCredential?: string;
    /** The status that refusal stands for, which `type` (a gateway error) does not say. */
    status?: number;
    /** The event's data as the upstream sent it: the guards read its words. */
    said?: string;
  }
  | { kind: "malformed"; detail: string };

/**
 * Index just past the last blank line (the end of the last whole event) in `text`, or 0. The relay
 * gives these functions text whose line ends are all LF (see sse_framing.ts).
 */
export function lastEventEnd(text: string): number {
  const lf = text.lastIndexOf("\n\n");
  return lf < 0 ? 0 : lf + 2;
}

/** Splits text made of whole events into the events (blank lines dropped). */
export function splitEvents(text: string): string[] {
  // The usual read is one whole event: no split, no filter.
  const first = text.indexOf("\n\n");
  if (first >= 0 && first === text.length - 2) {
    const event = text.slice(0, first);
    return event.trim() === "" ? [] : [event];
  }
  return text.split("\n\n").filter((event) => event.trim() !== "");
}

/**
 * Reads one event: its name line and its data lines, parsed as JSON. `unnamed` marks an event
 * that came with data but no `event:` line (some gateways and local servers write only `data:`).
 */
export function inspectEvent(event: string): EventVerdict {
  const { name, data } = fieldsOf(event);
  if (data === undefined) return { kind: "pass" }; // a comment or a bare keep-alive
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    const reason = messageOf(error);
    return {
      kind: "malformed",
      detail: `malformed JSON in a "${name || "message"}" event (${reason})`,
    };
  }
  if (!isRecord(parsed)) {
    return {
      kind: "malformed",
      detail: `a "${name || "message"}" event whose data is not an object`,
    };
  }
  if (name === "error" || parsed.type === "error") {
    const error = isRecord(parsed.error) ? parsed.error : parsed;
    const verdict = errorVerdict(error);
    // An Anthropic-style gateway's own type for an overload (`api_error` "Overloaded",
    // `server_error`) is Anthropic's `overloaded_error`, which it sends mid-stream then.
    if (verdict.refusedCredential) return { ...verdict, said: data };
    const type = midStreamType(verdict.type, `${error.type} ${verdict.message}`);
    return { ...verdict, type, said: data };
  }
  if (parsed.type === "message_stop") {
    return name ? { kind: "stop" } : { kind: "stop", unnamed: true };
  }
  return name ? { kind: "pass", data: parsed } : { kind: "pass", data: parsed, unnamed: true };
}

function fieldsOf(event: string): { name: string; data?: string } {
  // The usual event is `event: <name>\ndata: <json>`: read that shape without splitting lines
  // (and without a regular expression's match array per event).
  const lf = event.indexOf("\n");
  if (lf >= 6 && event.startsWith("event:") && event.startsWith("data:", lf + 1)) {
    if (event.indexOf("\n", lf + 1) < 0) {
      const nameAt = lf > 6 && event.charCodeAt(6) === 32 ? 7 : 6;
      const dataAt = event.charCodeAt(lf + 6) === 32 ? lf + 7 : lf + 6;
      return { name: event.slice(nameAt, lf).trim(), data: event.slice(dataAt) };
    }
  }
  let name = "";
  let data: string | undefined;
  for (const line of event.split("\n")) {
    if (line.startsWith("data:")) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (line === "data") {
      // A field name alone is the field with an empty value: clients dispatch that event.
      data = data === undefined ? "" : `${data}\n`;
    } else if (line.startsWith("event:")) name = line.slice(6).trim();
  }
  return { name, data };
}

/** An `error` event's error, its type mapped to what the client should see. */
export function errorVerdict(
  error: { readonly type?: unknown; readonly message?: unknown },
): Extract<EventVerdict, { kind: "error" }> {
  // The upstream's type goes through the status table: its 401 is about ccp's key, not the client.
  const { type } = clientErrorOfType(error.type);
  const message = typeof error.message === "string" && error.message
    ? error.message
    : JSON.stringify(error).slice(0, 500);
  const refused = error.type === "authentication_error" || error.type === "permission_error";
  if (!refused) return { kind: "error", type, message };
  const status = refusalStatus(undefined, error.type as string);
  return { kind: "error", type, message, refusedCredential: error.type as string, status };
}

/** Notes the token counts a `message_start` or `message_delta` event carries. */
export function noteUsage(usage: UsageTotals, data: Record<string, unknown>): void {
  if (data.type === "message_start") {
    noteUsageCounts(usage, isRecord(data.message) ? data.message.usage : undefined);
  } else if (data.type === "message_delta") noteUsageCounts(usage, data.usage);
}

/** Characters of answer one `content_block_delta` event carries (text, thinking, tool input). */
export function deltaChars(data: { readonly type?: unknown; readonly delta?: unknown }): number {
  if (data.type !== "content_block_delta" || !isRecord(data.delta)) return 0;
  const delta = data.delta;
  const text = delta.text ?? delta.thinking ?? delta.partial_json;
  return typeof text === "string" ? text.length : 0;
}

/** Notes the counts of one `usage` object (of `message_start`'s message or `message_delta`). */
export function noteUsageCounts(usage: UsageTotals, source: unknown): void {
  if (!isRecord(source)) return;
  const input = tokenCount(source.input_tokens);
  // message_start carries the prompt size; later events may repeat it.
  if (input !== undefined && (input > 0 || usage.inputTokens === undefined)) {
    usage.inputTokens = input;
  }
  const output = tokenCount(source.output_tokens);
  if (output !== undefined) usage.outputTokens = output;
  // Cache counts arrive in message_start, and again (possibly updated) in message_delta.
  const cacheRead = tokenCount(source.cache_read_input_tokens);
  if (cacheRead !== undefined) usage.cacheReadInputTokens = cacheRead;
  const cacheWrite = tokenCount(source.cache_creation_input_tokens);
  if (cacheWrite !== undefined) usage.cacheCreationInputTokens = cacheWrite;
  // An upstream that reports what the answer cost does so with its last counts.
  const cost = reportedCost(source);
  if (cost !== undefined) usage.costUsd = cost;
}

/**
 * The stop reason to send for an answer whose server said `upstream`. A reason in Chat
 * Completions' words (`length`, `stop`, `tool_calls`, GLM's `sensitive`...), which some gateways
 * pass on, is Anthropic's for it. Claude Code runs an answer's tool calls only when it stopped for
 * them, so `end_turn` after a `tool_use` block is `tool_use`; no reason at all (vLLM and Ollama
 * give none for a finish they cannot map, such as an abort) is `tool_use` after a call, else
 * `end_turn`. Any other reason the server gave stands: only the server knows an answer was cut at
 * `max_tokens`.
 */
export function completedStopReason(upstream: unknown, toolUse: boolean): unknown {
  const reason = typeof upstream === "string" && Object.hasOwn(STOP_REASON_OF_FINISH, upstream)
    ? STOP_REASON_OF_FINISH[upstream]
    : upstream;
  if (reason === null || reason === undefined) return toolUse ? "tool_use" : "end_turn";
  return toolUse && reason === "end_turn" ? "tool_use" : reason;
}

/**
 * The stop reason of an answer its server gave up on (GLM's `network_error`, DeepSeek's
 * `insufficient_system_resource`...), which a gateway may pass on as it came: such an answer failed,
 * and taken as finished it would end Claude Code's work with a cut reply.
 */
export function failedStopReason(stopReason: unknown): string | undefined {
  return typeof stopReason === "string" && FAILED_FINISHES.has(stopReason) ? stopReason : undefined;
}

// Anthropic's own overflow sentences, which Claude Code reads only at the start of a message.
const ANTHROPIC_OVERFLOW = /^(?:prompt is too long|input length and `max_tokens` exceed)/;

/**
 * What the client is told of an upstream's error event: its words after the provider's name, but
 * Anthropic's overflow sentences as they came (Claude Code compacts on them), and an over-long
 * prompt in another server's words (llama.cpp's, Ollama's "The prompt is too long: N, ...") led by
 * Anthropic's sentence.
 */
export function midStreamMessage(upstream: string, type: string, message: string): string {
  if (ANTHROPIC_OVERFLOW.test(message)) return message;
  const said = `${upstream} reported an error mid-stream: ${message}`;
  return (type === "invalid_request_error" && overflowMessage(400, message, said)) || said;
}
