/**
 * Other APIs' words for how an answer ended, as Anthropic's stop reasons: the finish reasons of
 * Chat Completions and of the servers that speak it, which some Anthropic-compatible gateways
 * also pass on as `stop_reason`.
 */

import type { StopReason } from "../protocols/anthropic.ts";

/** `finish_reason` -> `stop_reason`. */
export const STOP_REASON_OF_FINISH: Readonly<Record<string, StopReason>> = {
  stop: "end_turn",
  eos: "end_turn",
  end_turn: "end_turn",
  length: "max_tokens",
  max_tokens: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
  sensitive: "refusal", // GLM: its safety review stopped the answer
  // GLM stops this way when prompt and output fill its window; it is Anthropic's own stop reason,
  // which Claude Code reports as the context limit rather than taking the cut answer as finished.
  model_context_window_exceeded: "model_context_window_exceeded",
  model_length: "model_context_window_exceeded", // Mistral's word for the same stop
};

/**
 * Finish reasons of an answer the server gave up on: `error` (OpenRouter), `abort` (SGLang),
 * `network_error` (GLM: its inference failed mid-answer), `insufficient_system_resource`
 * (DeepSeek: its servers ran out of capacity mid-answer).
 */
export const FAILED_FINISHES: ReadonlySet<string> = new Set([
  "error",
  "abort",
  "network_error",
  "insufficient_system_resource",
]);
