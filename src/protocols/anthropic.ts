/**
 * Types for the Anthropic Messages API as ccp receives and emits it.
 *
 * Request types are permissive on purpose: Claude Code adds fields with every release
 * (`context_management`, `output_config`, `defer_loading`, ...), so every object also
 * allows unknown keys.
 */

import type { JsonObject } from "../core/json.ts";

/** Prompt-cache marker; dropped when translating to other protocols. */
export interface CacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
  [extra: string]: unknown;
}

/** A text block in a request. */
export interface TextBlockParam {
  type: "text";
  text: string;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

/** Where an image comes from. */
export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

/** An image block in a request. */
export interface ImageBlockParam {
  type: "image";
  source: ImageSource;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

/** Where a document comes from. */
export type DocumentSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "text"; media_type?: string; data: string }
  | { type: "url"; url: string }
  | { type: "content"; content: string | ContentBlockParam[] }
  | { type: "file"; file_id: string };

/** A document (PDF or text) block in a request. */
export interface DocumentBlockParam {
  type: "document";
  source: DocumentSource;
  title?: string | null;
  context?: string | null;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

/** A tool call the assistant made, as sent back in history. */
export interface ToolUseBlockParam {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

/** The result of a tool call, inside a user turn. */
export interface ToolResultBlockParam {
  type: "tool_result";
  tool_use_id: string;
  content?: string | ContentBlockParam[];
  is_error?: boolean;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

/** A reasoning block; `signature` proves where it came from. */
export interface ThinkingBlockParam {
  type: "thinking";
  thinking: string;
  signature?: string;
  [extra: string]: unknown;
}

/** An encrypted reasoning block only Anthropic can read. */
export interface RedactedThinkingBlockParam {
  type: "redacted_thinking";
  data: string;
  [extra: string]: unknown;
}

/** Every content block type ccp understands in a request; others are ignored at run time. */
export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam;

/** A user or assistant turn. */
export interface ConversationMessageParam {
  role: "user" | "assistant";
  content: string | ContentBlockParam[];
  [extra: string]: unknown;
}

/** A `role: "system"` turn inside `messages` (Claude Code 2.1.x sends one). */
export interface SystemMessageParam {
  role: "system";
  content: string | TextBlockParam[];
  [extra: string]: unknown;
}

/** One entry of `messages`. */
export type MessageParam = ConversationMessageParam | SystemMessageParam;

/**
 * A tool the client offers; server tools have a `type` and no `input_schema`, and the MCP
 * connector's `mcp_toolset` has no `name` either (it names a server).
 */
export interface ToolDefinition {
  name?: string;
  description?: string;
  input_schema?: JsonObject;
  type?: string;
  cache_control?: CacheControl | null;
  defer_loading?: boolean;
  [extra: string]: unknown;
}

/** How the model may pick tools. */
export type ToolChoice =
  | { type: "auto" | "any" | "none"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean };

/** Extended-thinking switch. */
export type ThinkingConfig =
  | { type: "enabled"; budget_tokens: number; display?: string }
  | { type: "adaptive"; display?: string }
  | { type: "disabled" };

/** Effort levels of `output_config.effort` (`xhigh`, between high and max, on newer models). */
export type Effort = "low" | "medium" | "high" | "xhigh" | "max";

/** A `POST /v1/messages` body. */
export interface MessagesRequest extends CountTokensRequest {
  max_tokens: number;
}

/** The body of `POST /v1/messages/count_tokens`: a Messages request without `max_tokens`. */
export interface CountTokensRequest {
  model: string;
  messages: MessageParam[];
  system?: string | TextBlockParam[];
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  output_config?: { effort?: Effort; [extra: string]: unknown };
  metadata?: { user_id?: string | null; [extra: string]: unknown };
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stream?: boolean;
  [extra: string]: unknown;
}

/** Cache-write tokens split by lifetime. */
export interface CacheCreation {
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
}

/** Output tokens spent on reasoning; null when the upstream did not say. */
export type OutputTokensDetails = { thinking_tokens: number } | null;

/**
 * Full usage object. Claude Code reads every field, and Anthropic's API sends every one of these
 * keys (null where it has nothing to say), so none may be missing.
 */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: CacheCreation;
  /** Where the model ran: unknown behind a translated upstream. */
  inference_geo: string | null;
  output_tokens_details: OutputTokensDetails;
  server_tool_use: { web_search_requests: number; web_fetch_requests: number };
  service_tier: "standard";
  speed: "standard";
}

/** Usage inside `message_delta` (cumulative totals). */
export interface AnthropicDeltaUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details: OutputTokensDetails;
  server_tool_use: { web_search_requests: number; web_fetch_requests: number };
}

/** Why a refusal stopped the answer; the category is unknown behind a translated upstream. */
export interface RefusalStopDetails {
  type: "refusal";
  category: string | null;
  explanation: string | null;
}

/** The top-level changes `message_delta` carries. */
export interface MessageDelta {
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  stop_details: RefusalStopDetails | null;
  /** The code-execution container used: none on a translated answer. */
  container: JsonObject | null;
}

/** Why the model stopped. */
export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** A text block in a response. */
export interface TextBlock {
  type: "text";
  text: string;
}

/** A reasoning block in a response. */
export interface ThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

/** A tool call in a response. */
export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
}

/** Every content block ccp emits. */
export type ContentBlock = TextBlock | ThinkingBlock | ToolUseBlock;

/** A complete (non-streaming) Messages answer. */
export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  stop_details: RefusalStopDetails | null;
  container: JsonObject | null;
  /** Prompt-cache diagnostics, which only Anthropic's own cache can give. */
  diagnostics: JsonObject | null;
  usage: AnthropicUsage;
}

/** A delta inside `content_block_delta`. */
export type ContentDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string };

/** The Anthropic error payload of an `error` event or response. */
export interface AnthropicErrorPayload {
  type: string;
  message: string;
  [extra: string]: unknown;
}

/** One event of an Anthropic SSE stream. */
export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicMessage }
  | {
    type: "content_block_start";
    index: number;
    content_block:
      | { type: "text"; text: "" }
      | { type: "thinking"; thinking: ""; signature: "" }
      | { type: "tool_use"; id: string; name: string; input: JsonObject };
  }
  | { type: "content_block_delta"; index: number; delta: ContentDelta }
  | { type: "content_block_stop"; index: number }
  | {
    type: "message_delta";
    delta: MessageDelta;
    usage: AnthropicDeltaUsage;
  }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: AnthropicErrorPayload };
