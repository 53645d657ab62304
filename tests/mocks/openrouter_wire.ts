/**
 * OpenRouter's answers as its API sends them, with its usage accounting: every answer's `usage`
 * says what it cost in USD (`cost`), whether the request ran on the user's own provider key
 * (`is_byok`), and the upstream's part (`cost_details`). Chat Completions carries it in the last
 * SSE chunk (one with no choices, before `[DONE]`) or in the whole answer; the Anthropic Messages
 * endpoint in the answer's `usage`, beside its Anthropic counts. Between chunks OpenRouter sends
 * `: OPENROUTER PROCESSING` comment lines.
 */

import { openingMessage, type SseEvent, sseEvent } from "./anthropic_fixtures.ts";

/** What one answer used and cost. */
export interface Spend {
  readonly prompt: number;
  readonly completion: number;
  /** Prompt tokens read from the cache (part of `prompt`). */
  readonly cached?: number;
  /** USD charged to the OpenRouter account. */
  readonly cost: number;
  /** On the user's own provider key: what that provider charged, besides `cost`. */
  readonly byok?: number;
}

/** `cost_details` as OpenRouter fills it: the upstream's cost split into prompt and completion. */
function costDetails(s: Spend): Record<string, unknown> {
  const upstream = s.byok ?? s.cost;
  const promptShare = upstream * s.prompt / (s.prompt + s.completion);
  return {
    upstream_inference_cost: upstream,
    upstream_inference_prompt_cost: promptShare,
    upstream_inference_completions_cost: upstream - promptShare,
  };
}

/** Chat Completions' `usage` with OpenRouter's accounting. */
export function chatUsage(s: Spend): Record<string, unknown> {
  return {
    prompt_tokens: s.prompt,
    completion_tokens: s.completion,
    total_tokens: s.prompt + s.completion,
    cost: s.cost,
    is_byok: s.byok !== undefined,
    prompt_tokens_details: {
      cached_tokens: s.cached ?? 0,
      cache_write_tokens: 0,
      audio_tokens: 0,
      video_tokens: 0,
    },
    cost_details: costDetails(s),
    completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0, audio_tokens: 0 },
  };
}

/** A streamed Chat Completions answer of `text` from `model` at OpenRouter. */
export function chatStream(model: string, text: string, s: Spend): string {
  const head = {
    id: "gen-1765100000-abcdefghijklmnopqrst",
    provider: "Moonshot AI",
    model,
    object: "chat.completion.chunk",
    created: 1765100000,
  };
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...head, choices, ...extra })}\n\n`;
  const delta = (content: string, finish: string | null) => ({
    index: 0,
    delta: { role: "assistant", content },
    finish_reason: finish,
    native_finish_reason: finish,
    logprobs: null,
  });
  return ": OPENROUTER PROCESSING\n\n" +
    chunk([delta(text, null)]) +
    chunk([delta("", "stop")]) +
    chunk([], { usage: chatUsage(s) }) +
    "data: [DONE]\n\n";
}

/** A whole Chat Completions answer of `text` from `model` at OpenRouter. */
export function chatAnswer(model: string, text: string, s: Spend): Record<string, unknown> {
  return {
    id: "gen-1765100001-abcdefghijklmnopqrst",
    provider: "Moonshot AI",
    model,
    object: "chat.completion",
    created: 1765100001,
    choices: [{
      index: 0,
      logprobs: null,
      finish_reason: "stop",
      native_finish_reason: "stop",
      message: { role: "assistant", content: text, refusal: null, reasoning: null },
    }],
    usage: chatUsage(s),
  };
}

/** The Anthropic Messages endpoint's `usage`: Anthropic's counts, then OpenRouter's accounting. */
export function messagesUsage(s: Spend, output = s.completion): Record<string, unknown> {
  return {
    input_tokens: s.prompt - (s.cached ?? 0),
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: s.cached ?? 0,
    server_tool_use: null,
    service_tier: "standard",
    cost: s.cost,
    is_byok: s.byok !== undefined,
    cost_details: costDetails(s),
  };
}

/** A whole answer of the Anthropic Messages endpoint. */
export function messagesAnswer(model: string, text: string, s: Spend): Record<string, unknown> {
  return {
    id: "gen-1765100002-abcdefghijklmnopqrst",
    type: "message",
    role: "assistant",
    model,
    provider: "Anthropic",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: messagesUsage(s),
  };
}

/**
 * A streamed answer of the Anthropic Messages endpoint. Its `message_delta` carries the final
 * usage; `withCost` false leaves OpenRouter's accounting out of it (its documented stream event
 * lists Anthropic's counts only).
 */
export function messagesStream(
  model: string,
  text: string,
  s: Spend,
  withCost: boolean,
): SseEvent[] {
  const counts = (output: number) => ({
    input_tokens: s.prompt - (s.cached ?? 0),
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: s.cached ?? 0,
    server_tool_use: null,
  });
  const delta = withCost ? messagesUsage(s) : counts(s.completion);
  return [
    sseEvent("message_start", {
      message: openingMessage("gen-1765100003-abcdefghijklmnopqrst", model, counts(0)),
    }),
    sseEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    sseEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
    sseEvent("content_block_stop", { index: 0 }),
    sseEvent("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: delta,
    }),
    sseEvent("message_stop"),
  ];
}
