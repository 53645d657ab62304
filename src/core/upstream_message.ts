/** Reading the human message out of an upstream error body, whatever its shape. */

import { isRecord } from "./json.ts";

/**
 * The most of an upstream's own words a failure message quotes. The cap is on the quote alone:
 * ccp's advice, which often follows it (what to set, what to start), is never cut with it.
 */
export const MAX_SNIPPET = 300;

/** The most a failure message of ccp's says in all: its quote is capped, the rest is ccp's own. */
export const MAX_MESSAGE = 1200;

/** `text` cut to {@link MAX_SNIPPET} characters (scrub secrets first: a cut key is not found). */
export function snippet(text: string): string {
  return text.length > MAX_SNIPPET ? `${text.slice(0, MAX_SNIPPET)}\u2026` : text;
}

/**
 * `message` within {@link MAX_MESSAGE}: one over it (an unbounded text quoted whole somewhere)
 * loses its middle, never its end, where ccp's advice stands.
 */
export function bounded(message: string): string {
  if (message.length <= MAX_MESSAGE) return message;
  const tail = Math.floor(MAX_MESSAGE / 3);
  return `${message.slice(0, MAX_MESSAGE - tail - 1)}\u2026${message.slice(-tail)}`;
}

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
    if (found) {
      return key === "message"
        ? withQuotaFirst(withProviderWords(found, record.metadata), record.details)
        : found;
    }
  }
  return undefined;
}

/**
 * `message` with the words of the provider a gateway routed to: OpenRouter's own message is only
 * "Provider returned error", the provider's body is in `metadata.raw` (its refusal of an
 * over-long prompt too, which Claude Code must be told in the words it compacts on).
 */
function withProviderWords(message: string, metadata: unknown): string {
  if (!isRecord(metadata) || typeof metadata.raw !== "string") return message;
  const words = upstreamMessage(metadata.raw);
  if (words === "" || message.includes(words)) return message;
  const name = metadata.provider_name;
  return `${message} (${typeof name === "string" && name ? `${name}: ` : ""}${words})`;
}

/**
 * `message` led by the quotas a Gemini 429 names (`QuotaFailure` violations): its message opens
 * with boilerplate ("You exceeded your current quota, please check your plan and billing
 * details...") and says which quota only at its end, which the log line and Claude Code's error cut
 * off. Whether the day's quota or a minute's was spent is what tells a free tier's user when it
 * comes back.
 */
function withQuotaFirst(message: string, details: unknown): string {
  if (!Array.isArray(details)) return message;
  const spent: string[] = [];
  for (const detail of details) {
    if (!isRecord(detail) || !Array.isArray(detail.violations)) continue;
    for (const v of detail.violations) {
      if (!isRecord(v) || typeof v.quotaId !== "string" || v.quotaId === "") continue;
      const limit = typeof v.quotaValue === "string" ? ` (limit ${v.quotaValue})` : "";
      spent.push(`${v.quotaId}${limit}`);
    }
  }
  return spent.length === 0 ? message : `Quota spent: ${spent.join(", ")}. ${message}`;
}
