/** Upstream URL building from a provider's API root (`base_url`). */

// A gateway may take its key or API version in the base_url's query (`.../v1?api-key=...`,
// `?api-version=...`): the path goes before it, and the query follows whatever the path adds.
function parts(baseUrl: string): { root: string; query: string } {
  const at = baseUrl.indexOf("?");
  if (at === -1) return { root: baseUrl.replace(/\/+$/, ""), query: "" };
  return { root: baseUrl.slice(0, at).replace(/\/+$/, ""), query: baseUrl.slice(at + 1) };
}

function withQuery(url: string, query: string): string {
  if (query === "") return url;
  return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}

/** `<root>/v1/messages`, or `<root>/messages` when the root already ends in `/v1`. */
export function anthropicUrl(baseUrl: string, path: "messages" | "messages/count_tokens"): string {
  const { root, query } = parts(baseUrl);
  return withQuery(/\/v1$/.test(root) ? `${root}/${path}` : `${root}/v1/${path}`, query);
}

/** `<root>/chat/completions` for OpenAI Chat Completions providers. */
export function openAIChatUrl(baseUrl: string): string {
  const { root, query } = parts(baseUrl);
  return withQuery(`${root}/chat/completions`, query);
}

/** `<root>/responses` for OpenAI Responses API providers. */
export function openAIResponsesUrl(baseUrl: string): string {
  const { root, query } = parts(baseUrl);
  return withQuery(`${root}/responses`, query);
}

/** `<root>/models/<model>:generateContent` (or the SSE stream form), root ending in `/v1beta`. */
export function geminiUrl(baseUrl: string, model: string, stream: boolean): string {
  const { root: given, query } = parts(baseUrl);
  const root = /\/v1beta$/.test(given) ? given : `${given}/v1beta`;
  const action = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  // Gemini's model list names each model `models/<id>`: a name copied from it as written works too.
  const id = model.startsWith("models/") ? model.slice("models/".length) : model;
  // Half of a UTF-16 pair alone has no UTF-8 form to percent-encode: it goes as U+FFFD.
  return withQuery(`${root}/models/${encodeURIComponent(id.toWellFormed())}:${action}`, query);
}

/**
 * `path` under a local server's root (`base_url` without a final `/v1`), or with `underBase` after
 * `base_url`'s own path, built as a URL so the query `base_url` may hold stays at the end.
 */
export function localServerUrl(baseUrl: string, path: string, underBase = false): string {
  const url = new URL(baseUrl);
  const own = url.pathname.replace(/\/+$/, "");
  url.pathname = `${underBase ? own : own.replace(/\/v1$/, "")}${path}`;
  return url.href;
}
