/**
 * Relayed requests that ask for no thinking, to models that reason anyway. The relay sends the
 * client's body, but a model that cannot stop reasoning (MiniMax M2, DeepSeek reasoner, Kimi K2
 * Thinking) spends its reasoning inside `max_tokens`: Claude Code's auto-mode classifier asks for
 * 64 tokens with thinking disabled and would get no text. Such a request gets the model's
 * reasoning allowance on top of `max_tokens`, as on the translated protocols.
 */

import { allowanceRoom, withReasoningAllowance } from "../../translate/reasoning/allowance.ts";
import { dialectForModel, type OpenAIDialect } from "../../translate/openai_chat/dialect.ts";

type Body = Record<string, unknown>;

/** Where the relayed request goes, and the room its output has. */
export interface RelayTarget {
  /** The provider's model knowledge (its preset's dialect, else the generic one). */
  readonly dialect: OpenAIDialect;
  /** Upstream model name. */
  readonly model: string;
  /** The model's declared output limit (`model_settings`). */
  readonly maxOutputTokens?: number;
  /** The model's context window and ccp's count of this prompt. */
  readonly contextWindow?: number;
  readonly inputTokens?: number;
}

function asksForThinking(body: Body): boolean {
  const thinking = body.thinking as { type?: unknown } | undefined;
  return thinking?.type === "enabled" || thinking?.type === "adaptive";
}

/** `body` with room for reasoning the client did not ask for; the same object when none is due. */
export function withUnaskedReasoningRoom(body: Body, target: RelayTarget): Body {
  const max = body.max_tokens;
  if (typeof max !== "number" || max <= 0 || asksForThinking(body)) return body;
  const dialect = dialectForModel(target.dialect, target.model);
  if (dialect.reasoningAllowance <= 0) return body;
  const cap = allowanceRoom(target.maxOutputTokens ?? dialect.maxOutputTokens ?? Infinity, target);
  const raised = withReasoningAllowance(max, dialect.reasoningAllowance, cap);
  return raised === max ? body : { ...body, max_tokens: raised };
}
