/**
 * Gemini's thinking on Google's OpenAI-compatible endpoints (AI Studio's `/v1beta/openai`,
 * Vertex AI's `endpoints/openapi`), made to match the native Gemini API.
 * - The thought summary is sent only when the request asks for it in Google's own field,
 *   `extra_body.google.thinking_config.include_thoughts`, and it then arrives in `content` inside
 *   `<thought>...</thought>`, which the translator turns into thinking blocks. ccp asks for it
 *   whenever the client asks for thinking it shows (not under `display: "omitted"`). The tool
 *   calls' thought signatures come in their `extra_content` whether it asks or not.
 * - A request that asks for no thinking gets the model's least level and room for it beside the
 *   answer, as natively: Gemini 3 Pro cannot stop thinking, and without a level it thinks at its
 *   default, `high`, inside the client's `max_tokens`.
 */

import type { ChatCompletionRequest } from "../../protocols/openai_chat.ts";
import type { GeminiThinkingLevel } from "../../protocols/gemini.ts";
import { geminiModelInfo } from "../../translate/gemini/models.ts";
import { unaskedThinking } from "../../translate/gemini/thinking.ts";

const GOOGLE_HOSTS = /^(generativelanguage|([a-z0-9-]+-)?aiplatform)\.googleapis\.com$/;

/** True for a base URL on Google's own API hosts (any region of Vertex AI). */
function isGoogleHost(baseUrl: string): boolean {
  try {
    return GOOGLE_HOSTS.test(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * `body` with Google's thought switch on, when thoughts were asked for and the upstream is Google's.
 * Google reads `extra_body` from the request body itself; the user's own `extra_body` setting is
 * merged after this and wins.
 */
export function withGeminiThoughts(
  body: ChatCompletionRequest,
  thoughts: boolean,
  baseUrl: string,
): ChatCompletionRequest {
  if (!thoughts || !isGoogleHost(baseUrl)) return body;
  return { ...body, extra_body: { google: { thinking_config: { include_thoughts: true } } } };
}

/** What the native path sends a Gemini 3 model asked for no thinking. */
export interface GeminiUnasked {
  /** Its least level (Gemini 3 Pro's `low`, Flash's `minimal`). */
  readonly level: GeminiThinkingLevel;
  /** Tokens added to the output limit for the thinking the level still does. */
  readonly allowance: number;
}

/**
 * The native path's thinking for `model` asked for no thinking, when the upstream is Google's;
 * undefined elsewhere: a gateway serving `gemini-*` names may route them to a model of its own.
 */
export function googleUnaskedThinking(model: string, baseUrl: string): GeminiUnasked | undefined {
  const name = model.toLowerCase().split("/").pop() ?? "";
  if (!name.startsWith("gemini-") || !isGoogleHost(baseUrl)) return undefined;
  const control = geminiModelInfo(name).thinking;
  if (control.kind !== "level") return undefined;
  const unasked = unaskedThinking(control);
  const level = unasked.config?.thinkingLevel;
  return level ? { level, allowance: unasked.allowance } : undefined;
}

/** `body` with the unasked level as `reasoning_effort`, unless the translator chose one. */
export function withGeminiUnaskedLevel(
  body: ChatCompletionRequest,
  unasked: GeminiUnasked | undefined,
): ChatCompletionRequest {
  if (!unasked || body.reasoning_effort !== undefined) return body;
  return { ...body, reasoning_effort: unasked.level };
}
