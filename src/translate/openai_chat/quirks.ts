/**
 * Named request quirks: small pure functions `(body) => body` that a dialect lists by
 * name when a knob cannot express what a provider needs. Each returns a new body and
 * never mutates its input.
 */

import type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
} from "../../protocols/openai_chat.ts";
import { fnv1a64Hex } from "../anthropic/ids.ts";

/** A request rewrite. */
export type OpenAIQuirk = (body: ChatCompletionRequest) => ChatCompletionRequest;

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A stable 9-character alphanumeric id derived from any id string. */
export function nineCharToolId(id: string): string {
  if (/^[A-Za-z0-9]{9}$/.test(id)) return id;
  const hex = fnv1a64Hex(id);
  let n = parseInt(hex.slice(0, 13), 16); // 52 bits: exact in a double
  let out = "";
  for (let i = 0; i < 9; i++) {
    out += ID_ALPHABET[n % 62];
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * Mistral rejects tool call ids that are not exactly 9 characters of [a-zA-Z0-9]
 * ("Tool call id has to be ..."), so ids are mapped deterministically, both on the
 * assistant's `tool_calls` and on the matching `tool` messages.
 */
function mistralToolCallIds(body: ChatCompletionRequest): ChatCompletionRequest {
  const messages = body.messages.map((m): ChatMessage => {
    if (m.role === "tool") return { ...m, tool_call_id: nineCharToolId(m.tool_call_id) };
    if (m.role === "assistant" && m.tool_calls) {
      return {
        ...m,
        tool_calls: m.tool_calls.map((c) => ({ ...c, id: nineCharToolId(c.id) })),
      };
    }
    return m;
  });
  return { ...body, messages };
}

/**
 * Mistral refuses a user message right after tool results ("Unexpected role 'user' after role
 * 'tool'"). Claude Code's turn after a tool ran often holds text beside the results (its system
 * reminders, what the user typed when a tool was interrupted), and an image a tool returned also
 * follows the tool messages in a user message: an assistant message with nothing to say goes
 * between them. The refusal would otherwise repeat on every later turn of the session.
 */
function assistantAfterTool(body: ChatCompletionRequest): ChatCompletionRequest {
  let messages: ChatMessage[] | undefined;
  body.messages.forEach((m, i) => {
    if (m.role === "user" && body.messages[i - 1]?.role === "tool") {
      messages ??= body.messages.slice(0, i);
      // A space: Mistral refuses an assistant message without content.
      messages.push({ role: "assistant", content: " " });
    }
    messages?.push(m);
  });
  return messages ? { ...body, messages } : body;
}

/**
 * DeepSeek's API takes message content as a string; multi-part text content is joined.
 * Messages that carry images keep their parts (the dialect then declares no images).
 */
function flattenTextContent(body: ChatCompletionRequest): ChatCompletionRequest {
  const messages = body.messages.map((m): ChatMessage => {
    if (m.role !== "user" || typeof m.content === "string") return m;
    if (
      !m.content.every((p): p is Extract<ChatContentPart, { type: "text" }> => p.type === "text")
    ) {
      return m;
    }
    return { ...m, content: m.content.map((p) => p.text).join("\n\n") };
  });
  return { ...body, messages };
}

/** OpenAI reasoning models reject sampling parameters ("Unsupported parameter: 'temperature'"). */
function dropSamplingParams(body: ChatCompletionRequest): ChatCompletionRequest {
  const {
    temperature: _t,
    top_p: _p,
    top_k: _k,
    presence_penalty: _pp,
    frequency_penalty: _fp,
    ...rest
  } = body;
  return rest as ChatCompletionRequest;
}

/** xAI grok-4 reasoning models reject `stop`. */
function dropStop(body: ChatCompletionRequest): ChatCompletionRequest {
  const { stop: _stop, ...rest } = body;
  return rest as ChatCompletionRequest;
}

/** Every quirk by the name dialects use. */
const OPENAI_QUIRKS = {
  mistral_tool_call_ids: mistralToolCallIds,
  assistant_after_tool: assistantAfterTool,
  flatten_text_content: flattenTextContent,
  drop_sampling_params: dropSamplingParams,
  drop_stop: dropStop,
} as const satisfies Record<string, OpenAIQuirk>;

/** The name of a registered quirk. */
export type OpenAIQuirkName = keyof typeof OPENAI_QUIRKS;

/** Applies the named quirks in order. */
export function applyQuirks(
  body: ChatCompletionRequest,
  names: readonly OpenAIQuirkName[],
): ChatCompletionRequest {
  let out = body;
  for (const name of names) out = OPENAI_QUIRKS[name](out);
  return out;
}
