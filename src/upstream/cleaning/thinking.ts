/** Thinking rules for third-party endpoints (the real Anthropic one lives in ../real_anthropic.ts). */

import { editBlocks } from "./blocks.ts";
import type { Body } from "./types.ts";

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
