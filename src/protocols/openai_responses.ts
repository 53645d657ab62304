/**
 * Types for OpenAI's Responses API (`POST /v1/responses`) as ccp sends and reads it: the
 * stateless subset (`store: false`, every request carries the whole conversation).
 * Response types stay permissive: new item and event types must not break parsing.
 */

import type { JsonObject } from "../core/json.ts";

/** A content part of an input message. */
export type ResponsesInputContent =
  | { type: "input_text"; text: string }
  | { type: "input_image"; image_url: string; detail?: "auto" | "low" | "high" }
  | { type: "input_file"; filename: string; file_data: string }
  | { type: "input_file"; file_url: string }
  | { type: "output_text"; text: string };

/** A message item of the input (the assistant's earlier text uses `output_text`). */
export interface ResponsesMessageItem {
  type: "message";
  role: "user" | "assistant" | "system" | "developer";
  content: ResponsesInputContent[];
}

/** A function call the model made earlier, replayed as history. */
export interface ResponsesFunctionCallItem {
  type: "function_call";
  call_id: string;
  name: string;
  arguments: string;
}

/** The result of a function call, as the next input item. */
export interface ResponsesFunctionCallOutputItem {
  type: "function_call_output";
  call_id: string;
  output: string;
}

/** Reasoning replayed statelessly: the encrypted item the model produced, never its id. */
export interface ResponsesReasoningItem {
  type: "reasoning";
  id?: string;
  summary: Array<{ type: "summary_text"; text: string }>;
  encrypted_content?: string | null;
}

/** One item of `input`. */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesReasoningItem;

/** A function tool. */
export interface ResponsesFunctionTool {
  type: "function";
  name: string;
  description?: string;
  parameters: JsonObject;
  strict: boolean;
}

/** `tool_choice`. */
export type ResponsesToolChoice = "auto" | "none" | "required" | { type: "function"; name: string };

/** Reasoning effort levels the API accepts. */
export type ResponsesEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";

/** The request body. */
export interface ResponsesRequest {
  model: string;
  input: ResponsesInputItem[];
  instructions?: string;
  tools?: ResponsesFunctionTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning?: { effort?: ResponsesEffort; summary?: "auto" | "concise" | "detailed" };
  include?: string[];
  store: false;
  stream?: boolean;
  user?: string;
  [extra: string]: unknown;
}

/** Token usage of a response. */
export interface ResponsesUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number };
  total_tokens?: number;
}

/** An output item (message, function call, reasoning, or a type ccp does not know). */
export interface ResponsesOutputItem {
  type: string;
  id?: string;
  status?: string;
  role?: string;
  content?: Array<{ type: string; text?: string; refusal?: string }>;
  call_id?: string;
  name?: string;
  arguments?: string;
  summary?: Array<{ type: string; text?: string }>;
  encrypted_content?: string | null;
  [extra: string]: unknown;
}

/** The response object (the whole answer, or the envelope of lifecycle events). */
export interface ResponsesResponse {
  id?: string;
  object?: string;
  status?: "completed" | "incomplete" | "failed" | "in_progress" | "cancelled" | "queued";
  model?: string;
  output?: ResponsesOutputItem[];
  usage?: ResponsesUsage | null;
  incomplete_details?: { reason?: string } | null;
  error?: { code?: string; message?: string } | null;
  [extra: string]: unknown;
}

/** A streamed event (`data:` of each SSE message); fields depend on `type`. */
export interface ResponsesStreamEvent {
  type: string;
  sequence_number?: number;
  response?: ResponsesResponse;
  output_index?: number;
  item?: ResponsesOutputItem;
  item_id?: string;
  content_index?: number;
  summary_index?: number;
  delta?: string;
  text?: string;
  arguments?: string;
  code?: string | null;
  message?: string;
  param?: string | null;
  [extra: string]: unknown;
}
