/**
 * Types for the OpenAI Chat Completions wire format and its common extensions
 * (`reasoning_content`, `reasoning`, `reasoning_details`, `matched_stop`, ...).
 *
 * Chunks are read field by field with type guards in the translator, so these types
 * describe what may arrive rather than what is guaranteed; every object allows unknown keys.
 */

/** Any JSON object. */
export type { JsonObject } from "../core/json.ts";
import type { JsonObject } from "../core/json.ts";

/** A part of a multi-part message content. */
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } }
  | { type: "file"; file: { filename?: string; file_data?: string; file_id?: string } };

/** A function call the assistant made. */
export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** Vendor data on a call (Gemini: `{google: {thought_signature}}`), sent back as received. */
  extra_content?: Record<string, unknown>;
}

/** A system (or developer) message. */
export interface ChatSystemMessage {
  role: "system" | "developer";
  content: string;
}

/** A user message. */
export interface ChatUserMessage {
  role: "user";
  content: string | ChatContentPart[];
}

/** An assistant message, with the reasoning fields some providers want replayed. */
export interface ChatAssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: ChatToolCall[];
  reasoning_content?: string;
  reasoning?: string;
  reasoning_details?: unknown[];
}

/** The result of one tool call. */
export interface ChatToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string;
}

/** One entry of `messages`. */
export type ChatMessage =
  | ChatSystemMessage
  | ChatUserMessage
  | ChatAssistantMessage
  | ChatToolMessage;

/** A function tool. */
export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters: JsonObject };
}

/** `tool_choice` values. */
export type ChatToolChoice =
  | "auto"
  | "none"
  | "required"
  | "any"
  | { type: "function"; function: { name: string } };

/** A `POST /chat/completions` body; provider switches ride in the index signature. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

/** Token usage as OpenAI-style servers report it. */
export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek's cache hits. */
  prompt_cache_hit_tokens?: number | null;
  /** Moonshot's cache hits (at the top level, not under `prompt_tokens_details`). */
  cached_tokens?: number | null;
  [extra: string]: unknown;
}

/** A streamed fragment of a tool call. */
export interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
  extra_content?: unknown;
}

/** The `delta` of a streamed choice. */
export interface ChatDelta {
  role?: string;
  /** A list of typed parts from Mistral's magistral models (thinking and text). */
  content?: string | unknown[] | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  reasoning_details?: unknown[] | null;
  /** One call as an object, not in a list: Text Generation Inference before 3.2. */
  tool_calls?: ChatToolCallDelta[] | ChatToolCallDelta | null;
  /** The deprecated single-call form, still answered by some servers. */
  function_call?: ChatToolCallDelta["function"] | null;
  /** OpenAI: a refusal, streamed apart from `content`. */
  refusal?: string | null;
  [extra: string]: unknown;
}

/** One streamed choice. */
export interface ChatChunkChoice {
  index?: number;
  delta?: ChatDelta;
  finish_reason?: string | null;
  /** vLLM: the stop string (or token id) that ended generation. */
  stop_reason?: string | number | null;
  /** SGLang: the stop string (or token id) that ended generation. */
  matched_stop?: string | number | null;
  /** Moonshot: the usage, inside the finishing choice instead of beside it. */
  usage?: ChatUsage | null;
  [extra: string]: unknown;
}

/** One `chat.completion.chunk` event. */
export interface ChatCompletionChunk {
  id?: string;
  model?: string;
  choices?: ChatChunkChoice[];
  usage?: ChatUsage | null;
  /** Groq reports usage here on the last chunk, and why it stopped a stream early (`error`). */
  x_groq?: { usage?: ChatUsage; error?: unknown } | null;
  error?: unknown;
  [extra: string]: unknown;
}

/** The assistant message of a non-streaming answer. */
export interface ChatResponseMessage {
  role?: string;
  /** A list of typed parts from Mistral's magistral models (thinking and text). */
  content?: string | unknown[] | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  reasoning_details?: unknown[] | null;
  tool_calls?: ChatToolCall[] | null;
  function_call?: ChatToolCallDelta["function"] | null;
  refusal?: string | null;
  [extra: string]: unknown;
}

/** A non-streaming `chat.completion` answer. */
export interface ChatCompletionResponse {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    message?: ChatResponseMessage;
    finish_reason?: string | null;
    stop_reason?: string | number | null;
    matched_stop?: string | number | null;
  }[];
  usage?: ChatUsage | null;
  [extra: string]: unknown;
}
