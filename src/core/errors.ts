/** Domain errors and their Anthropic wire shape. */

/** Anthropic error types ccp emits. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

/** The JSON body of every error ccp answers with. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string; [extra: string]: unknown };
}

/** Default HTTP status for each error type. */
export const STATUS_OF_ERROR_TYPE: Readonly<Record<AnthropicErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/**
 * The body of every error ccp sends a client, as an answer or as a stream's `event: error`: the
 * one place its words are settled. Claude Code takes any error whose message mentions
 * `x-api-key` for its own key or login being wrong, whatever the status, and shows "Invalid API
 * key · Fix external API key" or "Not logged in · Please run /login" instead of the message.
 * Anthropic words a refused key "invalid x-api-key": about ccp's key for a provider, that would
 * send the user to log in again. Only an `authentication_error`, ccp refusing the client's own
 * token, keeps the header's name (an upstream's refusal reaches the client as a gateway error).
 */
export function errorBody(
  type: AnthropicErrorType,
  message: string,
  extra: Readonly<Record<string, unknown>> = {},
): AnthropicErrorBody {
  const said = type === "authentication_error"
    ? message
    : message.replace(/x-api-key/gi, "API key");
  return { type: "error", error: { type, message: said, ...extra } };
}

/** An error that already knows its Anthropic status, type and message. */
export class ProxyError extends Error {
  readonly status: number;
  readonly errorType: AnthropicErrorType;
  /** Extra fields placed inside `error` (e.g. `code`, `retry_after`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    errorType: AnthropicErrorType,
    message: string,
    options: {
      status?: number;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ProxyError";
    this.errorType = errorType;
    this.status = options.status ?? STATUS_OF_ERROR_TYPE[errorType];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  /** The Anthropic JSON body for this error. */
  toAnthropicError(): AnthropicErrorBody {
    return errorBody(this.errorType, this.message, this.extra);
  }
}

/** A bad request from the client: 400 unless told otherwise. */
export class ClientRequestError extends ProxyError {
  constructor(
    message: string,
    errorType: AnthropicErrorType = "invalid_request_error",
    extra?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(errorType, message, { ...(extra ? { extra } : {}), ...(headers ? { headers } : {}) });
    this.name = "ClientRequestError";
  }
}

/** See {@link UpstreamError.target}. */
export interface RefusingTarget {
  readonly provider: string;
  readonly model: string;
  readonly budget?: string;
}

/**
 * An error an upstream reported mid-answer: its Anthropic type and its own words, and the status
 * it stands for when the type the client got does not say it (a refused key reaches the client
 * as a gateway error, yet is the 401 or 403 it would be before the stream).
 */
export interface ReportedError {
  readonly type: AnthropicErrorType;
  readonly said?: string;
  readonly status?: number;
}

/** A failure talking to an upstream provider. */
export class UpstreamError extends ProxyError {
  /** The upstream's HTTP status, when it answered at all. */
  readonly upstreamStatus?: number;
  /**
   * The target a refusal names when none was tried (a spent budget): the request's record names
   * it too, so the log line, ledger and metrics say whose budget refused. `budget` is that
   * budget's label (`client alice`, `p/m`), so the status page says a budget refused, not the target.
   */
  readonly target?: RefusingTarget;
  /**
   * The error the upstream reported inside an answer collected for a JSON client, and its own
   * words: the guards read it as the same error in a stream (a rate limit cools the key).
   */
  readonly reported?: ReportedError;
  /**
   * Set when the answer broke mid-way (an error event, a cut connection) while ccp collected it
   * for a JSON client: nothing of it reached the client, so the request may still fail over.
   */
  readonly midStream?: true;
  constructor(
    errorType: AnthropicErrorType,
    message: string,
    options: {
      status: number;
      upstreamStatus?: number;
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
      cause?: unknown;
      target?: RefusingTarget;
      reported?: ReportedError;
      midStream?: true;
    },
  ) {
    super(errorType, message, options);
    this.name = "UpstreamError";
    this.upstreamStatus = options.upstreamStatus;
    if (options.target) this.target = options.target;
    if (options.reported) this.reported = options.reported;
    if (options.midStream) this.midStream = true;
  }
}

/** An invalid configuration: the message names the file, the key path and the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * True for the RangeError a recursive walk throws when the stack runs out. ccp's walks follow a
 * request's nesting, so only a request nested thousands of levels deep gets there: that is the
 * client's mistake to name (a 400), not ccp's (a 500).
 */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes("call stack");
}

/** The 400 for a request nested deeper than ccp can follow. */
export function nestedTooDeeply(): ClientRequestError {
  return new ClientRequestError(
    "Request body is nested too deeply: ccp cannot read arrays or objects inside each other " +
      "hundreds of levels deep or more",
  );
}

/** The words of anything thrown: an Error's message, or the thrown value as a string. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turns anything thrown into a ProxyError; unknown errors become 500 api_error. */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (isStackOverflow(err)) return nestedTooDeeply();
  return new ProxyError("api_error", `Internal error in ccp: ${messageOf(err)}`, { cause: err });
}
