/** Thinking rules for third-party endpoints (the real Anthropic one lives in ../real_anthropic.ts). */

import { editBlocks } from "./blocks.ts";
import { isRecord } from "../../core/json.ts";
import type { Body, Obj } from "./types.ts";

/**
 * Says "no thinking" to an endpoint that thinks unless told not to: a request without `thinking`
 * gets `{type: "disabled"}`, what the missing field means to Anthropic. Otherwise the model thinks
 * through a side request that wants a quick answer (a session title, auto mode's classifier in 64
 * tokens) and may write no text.
 */
export function disableAbsentThinking(body: Body): Body {
  return body.thinking === undefined ? { ...body, thinking: { type: "disabled" } } : body;
}

/**
 * Removes `redacted_thinking` blocks: their `data` is encrypted for Anthropic alone, and
 * compatible endpoints reject the block type (DeepSeek lists it "Not Supported"). Plain
 * `thinking` blocks stay whatever their signature: these endpoints do not verify signatures,
 * and DeepSeek, Kimi and MiniMax require the reasoning to be passed back on tool-call turns.
 */
export function dropRedactedThinking(body: Body): Body {
  return editBlocks(
    body,
    (block, role) => role === "assistant" && block.type === "redacted_thinking" ? null : block,
  );
}

/** An empty thinking block: what an endpoint that checks for one reads as "no reasoning". */
const EMPTY_THINKING: Readonly<Obj> = Object.freeze({
  type: "thinking",
  thinking: "",
  signature: "",
});

/** A tool-call turn's content with a thinking block that has its text field, or itself. */
function withToolTurnThinking(content: readonly unknown[]): readonly unknown[] {
  if (!content.some((block) => isRecord(block) && block.type === "tool_use")) return content;
  const thinking = content.filter((block) => isRecord(block) && block.type === "thinking");
  if (thinking.length === 0) return [EMPTY_THINKING, ...content];
  if (thinking.every((block) => typeof (block as Obj).thinking === "string")) return content;
  return content.map((block) =>
    isRecord(block) && block.type === "thinking" && typeof block.thinking !== "string"
      ? { ...block, thinking: "" }
      : block
  );
}

/**
 * Gives each assistant turn that calls a tool a thinking block, an empty one where it has none,
 * while thinking is on. DeepSeek refuses such a turn without one ("The `content[].thinking` in
 * the thinking mode must be passed back to the API", and "missing field `thinking`" for a block
 * without its text) on every later request, so one such turn ends the session there. Claude Code
 * leaves a turn without it after a model switch (it drops the thinking another model wrote) and
 * whenever the turn was written by a model that did not think; an empty block is accepted.
 */
export function passBackToolTurnThinking(body: Body): Body {
  const thinking = body.thinking;
  if (isRecord(thinking) && thinking.type === "disabled") return body;
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let out: unknown[] | undefined;
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message) || message.role !== "assistant" || !Array.isArray(message.content)) {
      continue;
    }
    const content = withToolTurnThinking(message.content);
    if (content === message.content) continue;
    out ??= [...messages];
    out[i] = { ...message, content };
  }
  return out ? { ...body, messages: out } : body;
}
