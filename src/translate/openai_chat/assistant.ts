/**
 * An assistant turn -> one Chat Completions assistant message: text -> `content`,
 * `tool_use` -> `tool_calls`, thinking -> the native reasoning field when its ccp
 * provenance matches this provider and model family and the dialect replays that turn;
 * otherwise reasoning is dropped or kept as plain text, as the dialect says.
 */

import type { ContentBlockParam, ThinkingBlockParam } from "../../protocols/anthropic.ts";
import type { ChatAssistantMessage, ChatToolCall } from "../../protocols/openai_chat.ts";
import type { MapContext } from "./user_content.ts";
import { decodeCcpSignature, sameReasoningOrigin } from "../reasoning/provenance.ts";
import { serverToolBlockText } from "../anthropic/server_tools.ts";
import { SKIP_SIGNATURE } from "../gemini/contents.ts";
import { validatesThoughtSignatures } from "../gemini/models.ts";
import { NO_REASONING } from "./reasoning_spans.ts";

interface NativeReasoning {
  text: string[];
  fields: Set<string>;
  details: unknown[];
}

function collectNative(blocks: ThinkingBlockParam[], ctx: MapContext): {
  native: NativeReasoning;
  foreign: string[];
} {
  const native: NativeReasoning = { text: [], fields: new Set(), details: [] };
  const foreign: string[] = [];
  for (const block of blocks) {
    const origin = decodeCcpSignature(block.signature);
    if (
      origin?.protocol === "openai_chat" &&
      sameReasoningOrigin(origin, ctx.provider, ctx.model, ctx.server)
    ) {
      // A block the client was shown empty carries its text in the signature.
      const text = block.thinking || origin.text;
      if (text) native.text.push(text);
      for (const field of origin.fields) native.fields.add(field);
      if (origin.details) native.details.push(...origin.details);
    } else if (block.thinking) {
      foreign.push(block.thinking);
    }
  }
  return { native, foreign };
}

/** Sets the native reasoning fields on `message` from replayable reasoning. */
function applyNative(
  message: ChatAssistantMessage,
  native: NativeReasoning,
  ctx: MapContext,
): void {
  const text = native.text.join("\n\n");
  if (native.details.length > 0) message.reasoning_details = native.details;
  let textField = false;
  if (native.fields.has("reasoning_content")) {
    message.reasoning_content = text;
    textField = true;
  }
  if (native.fields.has("reasoning")) {
    message.reasoning = text;
    textField = true;
  }
  if (!textField && text && ctx.dialect.replayField !== "reasoning_details") {
    message[ctx.dialect.replayField] = text;
  }
}

/** The `extra_content` recorded by a thinking block ccp made from this provider and model. */
function callExtraOf(
  block: ThinkingBlockParam,
  ctx: MapContext,
): Record<string, unknown> | undefined {
  const origin = decodeCcpSignature(block.signature);
  if (
    origin?.protocol !== "openai_chat" ||
    !sameReasoningOrigin(origin, ctx.provider, ctx.model, ctx.server)
  ) {
    return undefined;
  }
  return origin.call;
}

/**
 * Gemini 3 behind a plain OpenAI-compatible endpoint refuses a tool-call turn whose first call
 * has no thought signature (calls made by another model, or before ccp kept them); it accepts
 * Gemini's documented placeholder instead. OpenRouter and the other named dialects carry
 * reasoning their own way.
 */
function wantsCallSignature(ctx: MapContext): boolean {
  const name = ctx.model.toLowerCase().split("/").pop() ?? "";
  return ctx.dialect.name === "openai_compatible" && name.startsWith("gemini-") &&
    validatesThoughtSignatures(name);
}

/** Maps one assistant turn; `null` when nothing is left to send. */
export function mapAssistantTurn(
  content: string | ContentBlockParam[],
  ctx: MapContext,
): ChatAssistantMessage | null {
  const { dialect } = ctx;
  if (typeof content === "string") {
    return content || dialect.needsNonEmptyAssistantContent
      ? { role: "assistant", content: content || " " }
      : null;
  }
  const texts: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  const thinking: ThinkingBlockParam[] = [];
  // The `extra_content` a call came with rides the empty thinking block just before it.
  let extra: Record<string, unknown> | undefined;
  for (const block of content) {
    if (block.type === "text") texts.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: {
          name: ctx.toolName(block.name),
          arguments: JSON.stringify(block.input ?? {}),
        },
        ...(extra ? { extra_content: extra } : {}),
      });
      extra = undefined;
    } else if (block.type === "thinking") {
      thinking.push(block);
      extra = callExtraOf(block, ctx);
    } else {
      // Web searches and fetches of earlier turns stay readable as text.
      const text = serverToolBlockText(block);
      if (text) texts.push(text);
    }
    // redacted_thinking is Anthropic-encrypted: no other provider can read it.
  }

  const message: ChatAssistantMessage = { role: "assistant", content: null };
  // By span, every turn keeps what it has here; which spans need it is decided over the whole
  // conversation (reasoning_spans.ts).
  const replayHere = dialect.reasoningReplay === "all" ||
    dialect.reasoningReplay === "tool_spans" ||
    (dialect.reasoningReplay === "tool_turns" && toolCalls.length > 0);
  const { native, foreign } = collectNative(thinking, ctx);
  const applied = replayHere && (native.text.length > 0 || native.details.length > 0);
  if (applied) applyNative(message, native, ctx);
  else if (replayHere && toolCalls.length > 0 && dialect.replayField !== "reasoning_details") {
    // DeepSeek/Kimi refuse tool-call turns without the field once thinking is on.
    message[dialect.replayField] = NO_REASONING;
  }
  if (dialect.foreignReasoning === "text" && foreign.length > 0) {
    texts.unshift(`<previous_reasoning>\n${foreign.join("\n\n")}\n</previous_reasoning>`);
  }

  const text = texts.join("\n\n");
  const first = toolCalls[0];
  if (first && !first.extra_content && wantsCallSignature(ctx)) {
    first.extra_content = { google: { thought_signature: SKIP_SIGNATURE } };
  }
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (text) message.content = text;
  else if (dialect.needsNonEmptyAssistantContent) message.content = " ";
  else if (toolCalls.length === 0 && !applied) return null;
  else if (toolCalls.length === 0) message.content = "";
  return message;
}
