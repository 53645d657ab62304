/**
 * Room for reasoning the client did not ask for. Reasoning models count their reasoning against
 * the request's output limit (`max_tokens`, `max_completion_tokens`, `maxOutputTokens`,
 * `max_output_tokens`). A client that asked for no thinking sized its limit for the answer alone:
 * Claude Code's auto-mode classifier asks for 64 tokens, and a model that cannot stop reasoning
 * spends them all before it writes a word, answering with no text. Where the provider has no
 * off switch, ccp sends the client's limit plus an allowance for the reasoning.
 */

import { fitOutputToWindow } from "../../core/context_overflow.ts";

/** Tokens added to the output limit, by how much the model still reasons when told the least. */
export const REASONING_ALLOWANCE = {
  /** A level that still thinks a little (GPT-5 `minimal`, Gemini Flash `minimal`). */
  minimal: 1024,
  /** The weakest effort of a model that cannot stop reasoning (o-series `low`, 2.5 Pro's floor). */
  low: 4096,
  /** A model that reasons as long as it likes (DeepSeek R1, Kimi K2 Thinking, QwQ, gpt-5-pro). */
  full: 8192,
} as const;

/**
 * The output limit to send: the client's `max` plus `allowance`, never above `cap` (the model's
 * limit), and never below the client's own (a cap it already exceeds is the caller's to apply).
 */
export function withReasoningAllowance(max: number, allowance: number, cap = Infinity): number {
  if (allowance <= 0) return max;
  return Math.max(max, Math.min(max + allowance, cap));
}

/** The model's context window and ccp's count of the prompt, when both are known. */
export interface OutputWindow {
  readonly contextWindow?: number;
  readonly inputTokens?: number;
}

/** The most an allowance may raise the limit to: `cap`, within the context window when known. */
export function allowanceRoom(cap: number, window: OutputWindow): number {
  if (!window.contextWindow || window.inputTokens === undefined) return cap;
  return Math.min(cap, fitOutputToWindow(cap, window.contextWindow, window.inputTokens));
}
