/** What a well-formed Anthropic error looks like, shared by tests and the soak bench. */

/** Statuses each Anthropic error type may carry. */
export const ERROR_STATUSES: Readonly<Record<string, readonly number[]>> = {
  invalid_request_error: [400],
  authentication_error: [401],
  permission_error: [403],
  not_found_error: [404],
  request_too_large: [413],
  rate_limit_error: [429],
  api_error: [500, 501, 502, 503, 504],
  overloaded_error: [529],
};

/** The `error` object of an Anthropic error body. */
export type ErrorFields = { type: string; message: string; [extra: string]: unknown };

/** The error fields of a well-formed Anthropic error body, or why it is not one. */
export function errorFields(body: unknown): ErrorFields | string {
  if (typeof body !== "object" || body === null) return "body is not an object";
  const { type, error, ...rest } = body as Record<string, unknown>;
  if (type !== "error") return `type is ${JSON.stringify(type)}, not "error"`;
  if (Object.keys(rest).length > 0) return `unexpected fields ${Object.keys(rest).join(", ")}`;
  if (typeof error !== "object" || error === null) return "no error object";
  const fields = error as Partial<ErrorFields>;
  if (typeof fields.type !== "string" || !(fields.type in ERROR_STATUSES)) {
    return `unknown error type ${JSON.stringify(fields.type)}`;
  }
  if (typeof fields.message !== "string" || fields.message === "") return "empty message";
  return fields as ErrorFields;
}
