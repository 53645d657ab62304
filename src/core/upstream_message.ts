/** Reading the human message out of an upstream error body, whatever its shape. */

/**
 * The message inside an error body (Anthropic `{error: {message}}`, OpenAI, Gemini, FastAPI
 * `{detail: [{msg}]}`, plain strings), else the raw text with whitespace collapsed; "" when empty.
 */
export function upstreamMessage(bodyText: string | undefined): string {
  const text = (bodyText ?? "").trim();
  if (text === "") return "";
  try {
    const found = pickMessage(JSON.parse(text));
    if (found) return found;
  } catch {
    // Not JSON (an HTML error page, plain text): the raw text is the best there is.
  }
  return text.replace(/\s+/g, " ");
}

function pickMessage(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return pickMessage(value[0]);
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ["error", "message", "detail", "msg", "error_description"]) {
    const found = pickMessage(record[key]);
    if (found) return found;
  }
  return undefined;
}
