/** Upstream URL building from a provider's API root (`base_url`). */

/** `<root>/v1/messages`, or `<root>/messages` when the root already ends in `/v1`. */
export function anthropicUrl(baseUrl: string, path: "messages" | "messages/count_tokens"): string {
  const root = baseUrl.replace(/\/+$/, "");
  return /\/v1$/.test(root) ? `${root}/${path}` : `${root}/v1/${path}`;
}

/** `<root>/chat/completions` for OpenAI Chat Completions providers. */
export function openAIChatUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
}

/** `<root>/responses` for OpenAI Responses API providers. */
export function openAIResponsesUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/responses`;
}

/** `<root>/models/<model>:generateContent` (or the SSE stream form), root ending in `/v1beta`. */
export function geminiUrl(baseUrl: string, model: string, stream: boolean): string {
  let root = baseUrl.replace(/\/+$/, "");
  if (!/\/v1beta$/.test(root)) root = `${root}/v1beta`;
  const action = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  // Gemini's model list names each model `models/<id>`: a name copied from it as written works too.
  const id = model.startsWith("models/") ? model.slice("models/".length) : model;
  // Half of a UTF-16 pair alone has no UTF-8 form to percent-encode: it goes as U+FFFD.
  return `${root}/models/${encodeURIComponent(id.toWellFormed())}:${action}`;
}
