/**
 * How a Chat Completions answer ends for the client: the Anthropic stop reason its finish and
 * its content make, or the Anthropic error an error it reported mid-stream becomes.
 */

import { ownValue } from "../../core/json.ts";
import { upstreamWho } from "../../core/text.ts";
import { overflowMessage } from "../../core/context_overflow.ts";
import {
  errorTypeOfCode,
  midStreamType,
  midStreamTypeOfStatus,
  refusalStatus,
} from "../../core/upstream_status.ts";
import type { StopReason } from "../../protocols/anthropic.ts";
import type { UpstreamEvent } from "./events.ts";
import { STOP_REASON_OF_FINISH } from "../finish_reasons.ts";

/** What the stop reason is decided from. */
export interface Finished {
  /** The upstream's `finish_reason`, if it sent one. */
  readonly finish: string | undefined;
  /** Tool-use blocks the answer holds. */
  readonly toolBlocks: number;
  /** The stop sequence the server says it matched, if it says. */
  readonly matched: unknown;
  /** The request's `stop_sequences`. */
  readonly stopSequences: readonly string[] | undefined;
}

/** The answer's stop reason, and the stop sequence it matched (else null). */
export function stopReasonOf(
  { finish, toolBlocks, matched, stopSequences }: Finished,
): { reason: StopReason; sequence: string | null } {
  let reason: StopReason = (finish && ownValue(STOP_REASON_OF_FINISH, finish)) || "end_turn";
  // Several servers say "stop" after tool calls; Claude Code only runs tools on tool_use.
  if (toolBlocks > 0 && reason === "end_turn") reason = "tool_use";
  if (toolBlocks === 0 && reason === "tool_use") reason = "end_turn";
  if (
    toolBlocks === 0 && finish === "stop" && typeof matched === "string" &&
    stopSequences?.includes(matched)
  ) return { reason: "stop_sequence", sequence: matched };
  return { reason, sequence: null };
}

/**
 * An error the upstream reported inside the stream, as the client's error. Its `code` is an HTTP
 * status (gateways, as a number or a string such as "401") or OpenAI's word for it
 * (`context_length_exceeded`). An over-long prompt is reported this way too, once the stream
 * began, and Claude Code compacts only for Anthropic's wording of it: that leads, the provider's
 * text follows.
 */
export function midStreamError(
  event: Extract<UpstreamEvent, { kind: "error" }>,
  options: { provider: string; upstreamModel: string },
): { message: string; type: string; status?: number } {
  const code = typeof event.code === "string" && /^\d{3}$/.test(event.code)
    ? Number(event.code)
    : event.code;
  const status = typeof code === "number" ? code : undefined;
  const words = `${code ?? ""} ${event.type ?? ""} ${event.message}`;
  const named = typeof code === "string" ? code : event.type;
  const type = status !== undefined
    ? midStreamTypeOfStatus(status, words)
    : midStreamType(errorTypeOfCode(named), words);
  const said = `${upstreamWho(options)} reported an error mid-stream: ${event.message}`;
  // An error with neither code nor type (LM Studio's `{"error": "<words>"}`) is judged by its words.
  const unnamed = code === undefined && event.type === undefined;
  const overflow = type === "invalid_request_error" || unnamed
    ? overflowMessage(status ?? 400, `${code ?? ""} ${event.message}`, said)
    : undefined;
  if (overflow !== undefined) return { message: overflow, type: "invalid_request_error" };
  // A refused key is told as a gateway error; the guards read the status it stands for.
  const refused = refusalStatus(status, named);
  return refused === undefined ? { message: said, type } : { message: said, type, status: refused };
}
