/**
 * Types for the Gemini API `generateContent` / `streamGenerateContent` wire format, the
 * subset ccp sends and reads. Field names are the REST (camelCase JSON) ones.
 * Response types are permissive: every field is optional and read through type guards.
 */

/** Any JSON object. */
export type { JsonObject } from "../core/json.ts";
import type { JsonObject } from "../core/json.ts";

/** Schema types of Gemini's OpenAPI 3.0 subset, spelled in upper case. */
export type GeminiType = "STRING" | "NUMBER" | "INTEGER" | "BOOLEAN" | "ARRAY" | "OBJECT";

/** The OpenAPI-subset schema of function parameters: Gemini answers 400 for other keywords. */
export interface GeminiSchema {
  type?: GeminiType;
  format?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: GeminiSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: GeminiSchema[];
}

/** A call the model made (request history or response). */
export interface GeminiFunctionCall {
  name: string;
  args?: JsonObject;
  id?: string;
}

/** The result of a call, sent back in a user turn. */
export interface GeminiFunctionResponse {
  name: string;
  response: JsonObject;
  id?: string;
}

/** One part of a content; exactly one data field is set. */
export interface GeminiPart {
  text?: string;
  /** True on thought-summary parts (`includeThoughts`). */
  thought?: boolean;
  /** Opaque signature of the model's reasoning; must be replayed on the same part. */
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { fileUri: string; mimeType?: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  [extra: string]: unknown;
}

/** A turn: role `user` or `model`. */
export interface GeminiContent {
  role?: "user" | "model";
  parts: GeminiPart[];
}

/** A function the model may call. */
export interface GeminiFunctionDeclaration {
  name: string;
  description: string;
  parameters?: GeminiSchema;
}

/** Function-calling mode. */
export type GeminiCallingMode = "AUTO" | "ANY" | "NONE";

/** `toolConfig` of a request. */
export interface GeminiToolConfig {
  functionCallingConfig: { mode: GeminiCallingMode; allowedFunctionNames?: string[] };
}

/** Gemini 3 thinking levels; each model accepts only some of them. */
export type GeminiThinkingLevel = "minimal" | "low" | "medium" | "high";

/** `generationConfig.thinkingConfig`: a budget (2.5 models) or a level (Gemini 3), never both. */
export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: GeminiThinkingLevel;
  includeThoughts?: boolean;
}

/** `generationConfig` of a request. */
export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  thinkingConfig?: GeminiThinkingConfig;
  responseMimeType?: string;
  responseJsonSchema?: JsonObject;
}

/** A `generateContent` request body. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: GeminiFunctionDeclaration[] }>;
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
}

/** Token counts. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

/** One candidate answer. */
export interface GeminiCandidate {
  content?: { role?: string; parts?: unknown[] };
  finishReason?: string;
  finishMessage?: string;
  index?: number;
}

/** One `generateContent` answer, or one chunk of a stream. */
export interface GeminiResponse {
  candidates?: unknown[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Set on error bodies: `{code, message, status}`. */
  error?: unknown;
}
