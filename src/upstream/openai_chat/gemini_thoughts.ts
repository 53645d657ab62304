/**
 * Gemini's thoughts on Google's OpenAI-compatible endpoints (AI Studio's `/v1beta/openai`,
 * Vertex AI's `endpoints/openapi`). There the thought summary is sent only when the request asks
 * for it in Google's own field, `extra_body.google.thinking_config.include_thoughts`, and it then
 * arrives in `content` inside `<thought>…</thought>`, which the translator turns into thinking
 * blocks. ccp asks for it whenever the client asks for thinking, as on the native Gemini API.
 */

import type { ChatCompletionRequest } from "../../protocols/openai_chat.ts";

const GOOGLE_HOSTS = /^(generativelanguage|([a-z0-9-]+-)?aiplatform)\.googleapis\.com$/;

/** True for a base URL on Google's own API hosts (any region of Vertex AI). */
export function isGoogleHost(baseUrl: string): boolean {
  try {
    return GOOGLE_HOSTS.test(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * `body` with Google's thought switch on, when thinking was asked for and the upstream is Google's.
 * Google reads `extra_body` from the request body itself; the user's own `extra_body` setting is
 * merged after this and wins.
 */
export function withGeminiThoughts(
  body: ChatCompletionRequest,
  thinking: boolean,
  baseUrl: string,
): ChatCompletionRequest {
  if (!thinking || !isGoogleHost(baseUrl)) return body;
  return { ...body, extra_body: { google: { thinking_config: { include_thoughts: true } } } };
}
