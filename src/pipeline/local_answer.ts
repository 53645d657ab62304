/**
 * Requests that need no model, answered by ccp itself: Claude Code's quota probe (one user
 * message `quota` with `max_tokens: 1`, sent at start to read rate-limit headers) and its
 * `Warmup` requests (one user message `Warmup`, sent to prime caches for the main agent and
 * subagents). Free tiers count every request; these would spend them for nothing.
 */

import { isRecord } from "../core/json.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";
import { randomBase62 } from "../translate/anthropic/ids.ts";
import { messageToSse } from "../upstream/message_to_sse.ts";
import { startUsage } from "../translate/anthropic/start_usage.ts";

/** Which kind of request ccp answers locally. */
export type LocalKind = "quota" | "warmup";

// The text of the only user message, whatever its shape; undefined when there is more.
function onlyUserText(body: MessagesRequest): string | undefined {
  const messages = body.messages.filter((m) => m.role !== "system");
  if (messages.length !== 1 || messages[0]!.role !== "user") return undefined;
  const content: unknown = messages[0]!.content;
  if (typeof content === "string") return content.trim();
  if (!Array.isArray(content)) return undefined;
  let text = "";
  for (const block of content) {
    if (!isRecord(block) || block.type !== "text" || typeof block.text !== "string") {
      return undefined;
    }
    text += block.text;
  }
  return text.trim();
}

/** The kind of local answer the request gets, if any. */
export function localKind(body: MessagesRequest): LocalKind | undefined {
  const text = onlyUserText(body);
  if (text === "quota" && body.max_tokens === 1) return "quota";
  if (text === "Warmup") return "warmup";
  return undefined;
}

/** A complete Anthropic Message answering it (the model is the one the client asked for). */
export function localMessage(kind: LocalKind, model: string): Record<string, unknown> {
  return {
    id: `msg_${randomBase62(24)}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: kind === "quota" ? "ok" : "Ready." }],
    // The probe allows one token: the answer stops there, as Anthropic's would.
    stop_reason: kind === "quota" ? "max_tokens" : "end_turn",
    stop_sequence: null,
    // Every key Anthropic's API sends, as translated answers carry them.
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: { ...startUsage(0), output_tokens: kind === "quota" ? 1 : 2 },
  };
}

/** The same answer as the SSE a streaming client expects. */
export function localStream(message: Record<string, unknown>): string {
  return messageToSse(message);
}
