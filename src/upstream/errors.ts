/** Upstream failures → Anthropic errors that name the provider, model and cause. */

import { type AnthropicErrorType, UpstreamError } from "../core/errors.ts";
import { redactUrlCredentials, scrubSecrets } from "../core/secrets.ts";
import { capitalise } from "../core/text.ts";

/** What the client is told for each upstream HTTP status. */
export function mapUpstreamStatus(status: number): { status: number; type: AnthropicErrorType } {
  if (status === 429) return { status: 429, type: "rate_limit_error" };
  if (status === 529) return { status: 529, type: "overloaded_error" };
  if (status === 502 || status === 503 || status === 504) return { status, type: "api_error" };
  if (status >= 500) return { status: 502, type: "api_error" };
  // An upstream credential problem must not look like the client's token being wrong:
  // Claude Code takes a 401 as its own token being wrong and retries its login for minutes.
  if (status === 401 || status === 403) return { status: 503, type: "api_error" };
  if (status === 404) return { status: 404, type: "not_found_error" };
  if (status === 413) return { status: 413, type: "request_too_large" };
  return { status: 400, type: "invalid_request_error" };
}

/** Pulls the human message out of an upstream error body of any common shape. */
export function upstreamMessage(bodyText: string): string {
  const trimmed = bodyText.trim();
  if (!trimmed) return "(empty body)";
  try {
    const parsed: unknown = JSON.parse(trimmed);
    const found = findMessage(parsed);
    if (found) return found;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}

function findMessage(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return findMessage(value[0]);
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ["error", "message", "detail", "msg", "error_description"]) {
    const inner = findMessage(record[key]);
    if (inner) return inner;
  }
  return undefined;
}

/** Names a target for messages: `provider "nim" (model z-ai/glm4.7)`. */
export function describeTarget(provider: string, model: string): string {
  return `provider "${provider}" (model ${model})`;
}

/** Builds the client-facing error for an upstream HTTP error answer. */
export function upstreamHttpError(options: {
  provider: string;
  model: string;
  status: number;
  headers: Headers;
  bodyText: string;
  keys: readonly string[];
}): UpstreamError {
  const mapped = mapUpstreamStatus(options.status);
  const detail = scrubSecrets(upstreamMessage(options.bodyText), options.keys);
  const hint = options.status === 401 || options.status === 403
    ? " (the provider rejected ccp's API key for it: check the key in ccp's config)"
    : "";
  const message = `${
    describeTarget(options.provider, options.model)
  } answered HTTP ${options.status}${hint}: ${detail}`;
  const headers: Record<string, string> = {};
  const retryAfter = options.headers.get("retry-after");
  if (retryAfter && (mapped.status === 429 || mapped.status >= 500)) {
    headers["retry-after"] = retryAfter;
  }
  return new UpstreamError(mapped.type, capitalise(message), {
    status: mapped.status,
    upstreamStatus: options.status,
    headers,
  });
}

/** Builds the client-facing error for a request that never got an HTTP answer. */
export function upstreamNetworkError(options: {
  provider: string;
  model: string;
  url: string;
  error: unknown;
  hint?: string;
}): UpstreamError {
  const cause = networkCause(options.error);
  const hint = options.hint ? `. ${options.hint}` : "";
  return new UpstreamError(
    "api_error",
    `Cannot reach ${describeTarget(options.provider, options.model)} at ${
      origin(options.url)
    }: ${cause}${hint}`,
    { status: 502, cause: options.error },
  );
}

/** Short, human cause of a fetch failure (connection refused, DNS, TLS, reset…). */
export function networkCause(error: unknown): string {
  // Timeouts already say which one fired and after how long.
  if (error instanceof Error && error.name === "UpstreamTimeoutError") return error.message;
  const text = error instanceof Error
    ? `${error.message} ${String(error.cause ?? "")}`
    : String(error);
  const known: Array<[RegExp, string]> = [
    [/connection refused|ECONNREFUSED/i, "connection refused"],
    [/dns error|failed to lookup|name or service not known|ENOTFOUND/i, "host name not found"],
    [/certificate|tls|ssl/i, "TLS handshake failed"],
    [/connection reset|ECONNRESET|broken pipe/i, "connection reset"],
    [/timed? ?out/i, "connection timed out"],
    [/unreachable/i, "network unreachable"],
  ];
  for (const [pattern, label] of known) if (pattern.test(text)) return label;
  // A proxy's URL (with its password) can appear in the client library's message.
  return redactUrlCredentials(scrubSecrets(error instanceof Error ? error.message : String(error)));
}

function origin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
