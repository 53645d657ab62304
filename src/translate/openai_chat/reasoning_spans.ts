/**
 * Reasoning replay by span, for providers that judge it between two user messages (DeepSeek):
 * where the model called a tool between them, every assistant message there must carry its
 * reasoning, the final answer included; elsewhere reasoning is ignored, so none is sent.
 */

import type { ChatAssistantMessage, ChatMessage } from "../../protocols/openai_chat.ts";
import type { ReasoningField } from "./dialect.ts";

/**
 * What a turn carries when its reasoning is gone (made by another provider or model, or never
 * streamed): DeepSeek V4 refuses an empty string as missing, and Kimi needs the field present.
 */
export const NO_REASONING = " ";

const TEXT_FIELDS = ["reasoning_content", "reasoning"] as const;

function hasReasoningText(message: ChatAssistantMessage): boolean {
  return TEXT_FIELDS.some((field) => Boolean(message[field]));
}

function withoutReasoning(message: ChatAssistantMessage): ChatAssistantMessage {
  if (
    message.reasoning_content === undefined && message.reasoning === undefined &&
    message.reasoning_details === undefined
  ) return message;
  const { reasoning_content: _c, reasoning: _r, reasoning_details: _d, ...rest } = message;
  return rest;
}

/**
 * `messages` with reasoning kept (or the placeholder given, in `field`) on every assistant message
 * of a span that holds a tool call, and taken off the others; a turn that held nothing but its
 * reasoning is then left out. Pure: the input is returned as it is when nothing changes.
 */
export function replayInToolSpans(messages: ChatMessage[], field: ReasoningField): ChatMessage[] {
  let out: (ChatMessage | null)[] | undefined;
  let start = 0;
  for (let end = 0; end <= messages.length; end++) {
    if (end < messages.length && messages[end]!.role !== "user") continue;
    const span = messages.slice(start, end);
    const tools = span.some((m) => m.role === "assistant" && (m.tool_calls?.length ?? 0) > 0);
    for (let i = start; i < end; i++) {
      const m = messages[i]!;
      if (m.role !== "assistant") continue;
      let next: ChatAssistantMessage | null = m;
      if (!tools) {
        next = withoutReasoning(m);
        if (next !== m && !next.content) next = null;
      } else if (!hasReasoningText(m) && field !== "reasoning_details") {
        next = { ...m, [field]: NO_REASONING };
      }
      if (next === m) continue;
      out ??= [...messages];
      out[i] = next;
    }
    start = end + 1;
  }
  return out ? out.filter((m): m is ChatMessage => m !== null) : messages;
}
