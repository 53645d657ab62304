/**
 * Anthropic `messages` -> Gemini `contents` (roles `user` / `model`):
 * - user turns: `tool_result` blocks become `functionResponse` parts first (named after
 *   the matching `tool_use`, `{result}` or `{error}`, in the order of the calls), then text,
 *   images and documents;
 * - assistant turns: text -> text parts, `tool_use` -> `functionCall` parts; thinking
 *   blocks ccp made from this same provider and model family give back their Gemini
 *   `thoughtSignature`s on the parts they came with; other reasoning is dropped;
 * - adjacent turns of one role are merged and empty turns removed; a history that opens
 *   with a function call gets a stand-in user turn first, and one that ends on a model turn
 *   gets a user turn asking to continue it when the model refuses to end on a model turn.
 * `role: "system"` messages are left to the request mapper (they join `systemInstruction`).
 */

import type {
  ContentBlockParam,
  MessageParam,
  ToolResultBlockParam,
} from "../../protocols/anthropic.ts";
import type { GeminiContent, GeminiPart, JsonObject } from "../../protocols/gemini.ts";
import { documentParts, imagePart } from "./media.ts";
import type { ToolNamer } from "../tool_names.ts";
import { decodeGeminiSignature, sameGeminiOrigin } from "./signature.ts";
import { serverToolBlockText } from "../anthropic/server_tools.ts";
import { searchResultText } from "../anthropic/search_result.ts";
import { toolReferenceText } from "../anthropic/tool_reference.ts";
import { append } from "../../core/append.ts";

/**
 * Gemini 3 rejects a function-call step whose first call carries no signature; for calls
 * that never had one (made by another model, or before ccp kept them) Gemini accepts
 * this placeholder instead.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

/** The user turn put before a history that opens with a function call. */
const TRIMMED_HISTORY = "[earlier conversation omitted]";

/** The user turn put after a final model turn for models that refuse to end on one. */
export const CONTINUE_MODEL_TURN =
  "[Continue your previous message from exactly where it stopped, without repeating it.]";

/** What the message mapping depends on. */
export interface ContentsContext {
  readonly provider: string;
  readonly model: string;
  /** Put {@link SKIP_SIGNATURE} on unsigned function-call steps (Gemini 3 and later). */
  readonly placeholderSignatures: boolean;
  /** The model refuses a request that ends on a model turn (Gemini 3.6 and later). */
  readonly endOnUserTurn: boolean;
  /** The name Gemini sees for a client tool name, in this request. */
  readonly toolName: ToolNamer;
}

function toolResultParts(
  block: ToolResultBlockParam,
  provider: string,
  toolName: ToolNamer,
): { text: string; media: GeminiPart[] } {
  const content = block.content;
  if (content === undefined || typeof content === "string") {
    return { text: content ?? "", media: [] };
  }
  const texts: string[] = [];
  const media: GeminiPart[] = [];
  for (const part of content) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "image") media.push(imagePart(part, provider));
    else if (part.type === "document") {
      for (const p of documentParts(part, provider)) {
        if (typeof p.text === "string") texts.push(p.text);
        else media.push(p);
      }
    } else {
      const text = toolReferenceText(part, toolName) ?? searchResultText(part);
      if (text) texts.push(text);
    }
  }
  return { text: texts.join("\n"), media };
}

/** A call as the conversation made it: its Gemini function name and its position. */
interface CallRef {
  readonly name: string;
  readonly order: number;
}

function userParts(
  content: string | ContentBlockParam[],
  calls: ReadonlyMap<string, CallRef>,
  provider: string,
  toolName: ToolNamer,
): GeminiPart[] {
  if (typeof content === "string") return content ? [{ text: content }] : [];
  const responses: Array<{ part: GeminiPart; order: number }> = [];
  const others: GeminiPart[] = [];
  for (const block of content) {
    if (block.type === "text") {
      if (block.text) others.push({ text: block.text }); // Gemini refuses empty text parts
    } else if (block.type === "image") others.push(imagePart(block, provider));
    else if (block.type === "document") others.push(...documentParts(block, provider));
    else if (block.type === "tool_result") {
      const { text, media } = toolResultParts(block, provider, toolName);
      const call = calls.get(block.tool_use_id);
      if (call) {
        const response = block.is_error ? { error: text } : { result: text };
        responses.push({
          part: { functionResponse: { name: call.name, response } },
          order: call.order,
        });
      } else {
        // No call to answer (history was trimmed): the result can only be context.
        others.push({ text: `[result of tool call ${block.tool_use_id}]\n${text}` });
      }
      append(others, media);
    } else {
      const text = searchResultText(block) ?? serverToolBlockText(block);
      if (text) others.push({ text });
    }
  }
  // Claude Code lists parallel results as the tools finish, but Gemini pairs responses with
  // calls by position: two calls of one tool would otherwise get each other's output.
  responses.sort((a, b) => a.order - b.order);
  return [...responses.map((r) => r.part), ...others];
}

function modelParts(content: string | ContentBlockParam[], ctx: ContentsContext): GeminiPart[] {
  if (typeof content === "string") return content ? [{ text: content }] : [];
  const parts: GeminiPart[] = [];
  let next: string | undefined;
  const push = (part: GeminiPart) => {
    if (next) part.thoughtSignature = next;
    next = undefined;
    parts.push(part);
  };
  for (const block of content) {
    if (block.type === "text") {
      if (block.text) push({ text: block.text });
    } else if (block.type === "tool_use") {
      const args = typeof block.input === "object" && block.input !== null &&
          !Array.isArray(block.input)
        ? block.input as JsonObject
        : {};
      push({ functionCall: { name: ctx.toolName(block.name), args } });
    } else if (block.type === "thinking") {
      const origin = decodeGeminiSignature(block.signature);
      if (!origin || !sameGeminiOrigin(origin, ctx.provider, ctx.model)) continue;
      // Unsigned thought summaries are dropped: Gemini reads nothing from them.
      if (origin.sig) {
        parts.push({ text: block.thinking, thought: true, thoughtSignature: origin.sig });
      }
      next = origin.next;
    } else {
      // Web searches and fetches of earlier turns stay readable as text.
      const text = serverToolBlockText(block);
      if (text) push({ text });
    }
    // redacted_thinking is Anthropic-encrypted: Gemini cannot read it.
  }
  const firstCall = parts.find((p) => p.functionCall);
  if (ctx.placeholderSignatures && firstCall && !firstCall.thoughtSignature) {
    firstCall.thoughtSignature = SKIP_SIGNATURE;
  }
  return parts;
}

/** Client tool-use id -> the Gemini function name it was called under and its position. */
function callRefs(messages: readonly MessageParam[], toolName: ToolNamer): Map<string, CallRef> {
  const out = new Map<string, CallRef>();
  for (const m of messages) {
    if (m.role !== "assistant" || typeof m.content === "string") continue;
    for (const b of m.content) {
      if (b.type === "tool_use") {
        out.set(b.id, { name: toolName(b.name), order: out.size });
      }
    }
  }
  return out;
}

/** Maps the conversation (system messages skipped) to Gemini contents. */
export function toGeminiContents(
  messages: readonly MessageParam[],
  ctx: ContentsContext,
): GeminiContent[] {
  const calls = callRefs(messages, ctx.toolName);
  const out: GeminiContent[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    const role = message.role === "assistant" ? "model" : "user";
    const parts = role === "model"
      ? modelParts(message.content, ctx)
      : userParts(message.content, calls, ctx.provider, ctx.toolName);
    if (parts.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === role) append(last.parts, parts);
    else out.push({ role, parts });
  }
  // Gemini refuses a function call that does not follow a user turn; a client that trimmed
  // the start of its history can open with one, so a stand-in user turn goes first.
  if (out[0]?.role === "model" && out[0].parts.some((p) => p.functionCall)) {
    out.unshift({ role: "user", parts: [{ text: TRIMMED_HISTORY }] });
  }
  // An assistant prefill (Claude Code resuming a cut-off answer) ends on a model turn; models
  // that refuse that are asked to continue it instead. A dangling call is left to fail upstream.
  const final = out.at(-1);
  if (ctx.endOnUserTurn && final?.role === "model" && !final.parts.some((p) => p.functionCall)) {
    out.push({ role: "user", parts: [{ text: CONTINUE_MODEL_TURN }] });
  }
  return out;
}
