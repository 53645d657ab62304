/**
 * The one table from an upstream's HTTP status to what the client is told, used before the
 * first byte (the answer's status and error type) and after it (the `event: error` type).
 *
 * An upstream 401/402/403 is about ccp's key for that provider (or, with passthrough auth, the
 * credentials the client meant for the upstream), never about the token the client gave ccp:
 * Claude Code takes `authentication_error` as its own login being wrong and stops to re-login,
 * so those become a gateway error that names the provider instead.
 */

import { type AnthropicErrorType, STATUS_OF_ERROR_TYPE } from "./errors.ts";

/** Status and error type for the client. */
export interface ClientError {
  readonly status: number;
  readonly type: AnthropicErrorType;
}

const TABLE: Readonly<Record<number, ClientError>> = {
  400: { status: 400, type: "invalid_request_error" },
  401: { status: 502, type: "api_error" },
  402: { status: 502, type: "api_error" },
  403: { status: 502, type: "api_error" },
  404: { status: 404, type: "not_found_error" },
  408: { status: 504, type: "api_error" },
  409: { status: 502, type: "api_error" },
  413: { status: 413, type: "request_too_large" },
  422: { status: 400, type: "invalid_request_error" },
  429: { status: 429, type: "rate_limit_error" },
  502: { status: 502, type: "api_error" },
  503: { status: 503, type: "api_error" },
  504: { status: 504, type: "api_error" },
  529: { status: 529, type: "overloaded_error" },
};

const NO_ANSWER: ClientError = { status: 502, type: "api_error" };

/** What the client is told for an upstream status (`undefined`: no HTTP answer at all). */
export function clientErrorOf(upstreamStatus: number | undefined): ClientError {
  if (upstreamStatus === undefined) return NO_ANSWER;
  const known = TABLE[upstreamStatus];
  if (known) return known;
  if (upstreamStatus >= 500) return NO_ANSWER;
  return { status: 400, type: "invalid_request_error" };
}

// Refusals of the region a request comes from, not of its key nor of the request: Gemini's 400
// FAILED_PRECONDITION "User location is not supported for the API use.", OpenAI's 403
// `unsupported_country_region_territory` ("Country, region, or territory not supported").
const REGION =
  /user location is not supported|unsupported_country_region_territory|country, region,? or territory not supported/i;

/** Whether an upstream's 400 or 403 refuses the region ccp's requests come from. */
export function refusesRegion(status: number, bodyText: string): boolean {
  return (status === 400 || status === 403) && REGION.test(bodyText);
}

/**
 * What the client is told for an Anthropic error type an upstream sent (an error body, or an
 * `event: error` mid-stream): the type's status goes through the same table, so an upstream's
 * `authentication_error` about its key is never relayed as the client's own.
 */
export function clientErrorOfType(upstreamType: unknown): ClientError {
  if (typeof upstreamType !== "string" || !Object.hasOwn(STATUS_OF_ERROR_TYPE, upstreamType)) {
    return NO_ANSWER;
  }
  return clientErrorOf(STATUS_OF_ERROR_TYPE[upstreamType as AnthropicErrorType]);
}

// A provider out of capacity in its own words, read the same way from a 429, a server error and an
// error with no status: OpenAI's "That model is currently overloaded with other requests" (and
// "The engine is currently overloaded" in a 429), a gateway's "no capacity available" or
// `insufficient_capacity`, "Server is busy", "temporarily unavailable", Anthropic's "Overloaded".
const OUT_OF_CAPACITY = /overloaded|capacity|server (?:is )?busy|temporarily unavailable/i;

// From a 429 only, "try again later" alone says capacity too (from a server error it says no more
// than that the error is passing), but a rate limit's message says it as well:
// Anthropic's own ("This request would exceed the rate limit for your organization ... or try
// again later"), typed `rate_limit_error`, and a gateway's "Too many requests, please try again
// later". Read as capacity, such a 429 would cool no key and feed the breaker instead.
const LATER = /try again later/i;
const RATE_LIMITED = /rate[ _-]?limit|too many requests/i;

/** Whether a 429's (or a rate-limit error's) words say the provider is out of capacity. */
export function rateLimitSaysOutOfCapacity(words: string): boolean {
  return OUT_OF_CAPACITY.test(words) || (LATER.test(words) && !RATE_LIMITED.test(words));
}

/**
 * The type of an error an upstream sent, with no HTTP status, inside a stream that opened with
 * 200: one whose words say the provider is out of capacity is `overloaded_error`, as Anthropic
 * sends mid-stream then (Claude Code reads that type as a busy server, and may switch to its
 * fallback model), and so is a rate limit that says so, as the same 429 before the stream would
 * be; any other keeps `type`.
 */
export function midStreamType(type: AnthropicErrorType, words: string): AnthropicErrorType {
  if (type === "api_error" && OUT_OF_CAPACITY.test(words)) return "overloaded_error";
  if (type === "rate_limit_error" && rateLimitSaysOutOfCapacity(words)) return "overloaded_error";
  return type;
}

/**
 * The type of an error an upstream sent inside a stream that opened with 200, naming an HTTP
 * status (a gateway's `code`, Gemini's): the status's type, except that a server error or a 429
 * whose words say the provider is out of capacity (Gemini's 503 "The model is overloaded", a
 * 429 "The engine is currently overloaded") is `overloaded_error`. Before the stream, Claude Code
 * reads the 503 itself and retries or takes its fallback model, and ccp answers such a 429 as a
 * 529; mid-stream Claude Code reads only the type, and an `api_error` there ends the turn.
 */
export function midStreamTypeOfStatus(status: number, words: string): AnthropicErrorType {
  const type = errorTypeOfUpstream(status);
  return status >= 500 || status === 429 ? midStreamType(type, words) : type;
}

/** The Anthropic error type for an `event: error` caused by an upstream status or code. */
export function errorTypeOfUpstream(status: number | undefined): AnthropicErrorType {
  return status === undefined ? "api_error" : clientErrorOf(status).type;
}

// The words of an error code that say the upstream refused ccp's credential (Anthropic's
// `authentication_error`, OpenAI's `invalid_api_key`, Gemini's `UNAUTHENTICATED`), and those of
// one that refuses it this model or action (`permission_error`, `PERMISSION_DENIED`).
const REFUSED_KEY = /api_key|auth|permission|unauthori[sz]ed|forbidden/i;
const NOT_PERMITTED = /permission|forbidden/i;

/**
 * The status a credential's refusal inside a stream stands for (401, 402 or 403), from the HTTP
 * status the error names or else its code in words; undefined for any other error. The client is
 * told a gateway error either way; the guards read this status, as before the stream, so the key
 * is set aside instead of the target counted at fault.
 */
export function refusalStatus(
  status: number | undefined,
  code: string | undefined,
): number | undefined {
  if (status === 401 || status === 402 || status === 403) return status;
  if (status !== undefined || code === undefined || !REFUSED_KEY.test(code)) return undefined;
  return NOT_PERMITTED.test(code) ? 403 : 401;
}

/**
 * Anthropic error type for an error code in words, as OpenAI-style APIs report errors inside a
 * stream or a failed response (`context_length_exceeded`, `rate_limit_exceeded`, ...).
 */
export function errorTypeOfCode(code: string | undefined): AnthropicErrorType {
  if (!code) return "api_error";
  // A refused key (`invalid_api_key`) is ccp's credential for the upstream, neither the client's
  // login nor a request the client should change: a gateway error, like an upstream 401.
  if (REFUSED_KEY.test(code)) return "api_error";
  if (/rate_limit|quota/.test(code)) return "rate_limit_error";
  if (/overloaded|server_is_overloaded/.test(code)) return "overloaded_error";
  if (/invalid|context_length|unsupported/.test(code)) return "invalid_request_error";
  return "api_error";
}
