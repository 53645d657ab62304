/**
 * Usage mapping for Chat Completions -> Anthropic: small pure functions shared by the streaming
 * and non-streaming paths.
 */

import type { AnthropicDeltaUsage, AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import { newMessageId } from "../anthropic/ids.ts";
import { startUsage } from "../anthropic/start_usage.ts";
import type { ChatUsage } from "../../protocols/openai_chat.ts";
import { reportedCost } from "../../core/reported_cost.ts";
import type { ReportedUsage } from "../sse_translation.ts";

/** Token counts read from an upstream usage object (missing fields stay undefined). */
export interface UpstreamUsage {
  prompt?: number;
  completion?: number;
  cached?: number;
  reasoning?: number;
  /** What the upstream said the answer cost, in USD (OpenRouter's `cost`). */
  cost?: number;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Reads an OpenAI-style usage object. Cache hits have three spellings: OpenAI's nested
 * `prompt_tokens_details.cached_tokens`, DeepSeek's `prompt_cache_hit_tokens` and Moonshot's
 * top-level `cached_tokens`; each is part of `prompt_tokens`.
 */
export function readUsage(usage: ChatUsage | null | undefined): UpstreamUsage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const prompt = num(usage.prompt_tokens);
  const completion = num(usage.completion_tokens);
  // A usage object without counts (some servers repeat an empty one) says nothing new.
  if (prompt === undefined && completion === undefined) return undefined;
  const cached = num(usage.prompt_tokens_details?.cached_tokens) ??
    num(usage.prompt_cache_hit_tokens) ?? num(usage.cached_tokens);
  return {
    prompt,
    completion,
    cached,
    reasoning: num(usage.completion_tokens_details?.reasoning_tokens),
    cost: reportedCost(usage),
  };
}

/** The counts and cost `up` reported, as the ledger takes them for an answer cut short. */
export function reportedUsage(
  up: UpstreamUsage | undefined,
  reasoningTokensSeparate: boolean,
): ReportedUsage | undefined {
  if (!up) return undefined;
  const cached = up.cached ?? 0;
  const output = up.completion === undefined
    ? undefined
    : up.completion + (reasoningTokensSeparate ? up.reasoning ?? 0 : 0);
  return {
    ...(up.prompt === undefined
      ? {}
      : { inputTokens: Math.max(0, up.prompt - cached), cacheReadInputTokens: cached }),
    ...(output === undefined ? {} : { outputTokens: output }),
    ...(up.cost === undefined ? {} : { costUsd: up.cost }),
  };
}

/** Inputs of the Anthropic usage computation. */
export interface UsageInputs {
  /** ccp's local count of the prompt. */
  localInputTokens: number;
  upstream?: UpstreamUsage;
  /** Estimate used when the upstream reports no completion tokens. */
  estimatedOutputTokens: number;
  reasoningTokensSeparate: boolean;
  preferLocalInputTokens: boolean;
}

/**
 * The cumulative usage of `message_delta`; Anthropic's input excludes cache reads. Claude Code
 * keeps `message_start`'s `input_tokens` (ccp's estimate of the whole prompt) when the final one
 * is 0, and adds the cache read to it: for a prompt read whole from the cache, one of its tokens
 * is reported as input, which keeps input plus cache read the prompt's size.
 */
export function deltaUsage(inputs: UsageInputs): AnthropicDeltaUsage {
  const up = inputs.upstream;
  let cached = up?.cached ?? 0;
  let input = inputs.preferLocalInputTokens || up?.prompt === undefined
    ? inputs.localInputTokens
    : Math.max(0, up.prompt - cached);
  if (input === 0 && cached > 0) {
    input = 1;
    cached--;
  }
  let output = up?.completion ?? inputs.estimatedOutputTokens;
  if (up?.completion !== undefined && inputs.reasoningTokensSeparate && up.reasoning) {
    output += up.reasoning;
  }
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens_details: up?.reasoning !== undefined ? { thinking_tokens: up.reasoning } : null,
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
  };
}

/** The `message_start` event every translated stream begins with (the client's model name). */
export function messageStartEvent(options: {
  readonly clientModel: string;
  readonly inputTokens: number;
  readonly messageId?: string;
}): AnthropicStreamEvent {
  return {
    type: "message_start",
    message: {
      id: options.messageId ?? newMessageId(),
      type: "message",
      role: "assistant",
      model: options.clientModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: startUsage(options.inputTokens),
    },
  };
}
