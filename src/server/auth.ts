/** Client authentication, and the model suffix some clients put after the token (`token:provider/model`). */

import { AUTHORIZATION, type HeaderReader, headersWithout } from "../core/headers.ts";

/** One credential a request carries, and the header it came in. */
export interface Presented {
  readonly header: "x-api-key" | "authorization" | "anthropic-auth-token";
  readonly credential: string;
}

function presented(headers: Headers): Presented[] {
  const found: Presented[] = [];
  const apiKey = headers.get("x-api-key");
  if (apiKey) found.push({ header: "x-api-key", credential: apiKey.trim() });
  const authorization = headers.get(AUTHORIZATION);
  if (authorization && /^bearer\s+/i.test(authorization)) {
    const credential = authorization.replace(/^bearer\s+/i, "").trim();
    found.push({ header: "authorization", credential });
  }
  const authToken = headers.get("anthropic-auth-token");
  if (authToken) found.push({ header: "anthropic-auth-token", credential: authToken.trim() });
  return found;
}

/** The credentials a request carries, in the three headers ccp accepts. */
export function presentedCredentials(headers: Headers): string[] {
  return presented(headers).map((p) => p.credential);
}

/**
 * The credentials a request carries, read once and kept in its bindings: the gate, the model
 * suffix and the headers sent upstream all look at them (three reads of three headers each).
 */
export function credentialsOf(
  bindings: { credentials?: readonly Presented[] },
  headers: Headers,
): readonly Presented[] {
  return bindings.credentials ??= presented(headers);
}

/** Splits `<token>:<suffix>`; only the part before the first `:` is the token. */
export function splitToken(credential: string): { token: string; suffix?: string } {
  const colon = credential.indexOf(":");
  if (colon < 0) return { token: credential };
  const suffix = credential.slice(colon + 1);
  return { token: credential.slice(0, colon), suffix: suffix || undefined };
}

/**
 * The model override written after the token, among the request's `credentials`. With a token
 * configured, only the credential that carries that token may name one (another header's suffix is
 * someone else's text); without a token, the first credential that has a suffix.
 */
export function tokenSuffix(
  credentials: readonly Presented[],
  expected?: string,
): string | undefined {
  let found: string | undefined;
  for (const { credential } of credentials) {
    const { token, suffix } = splitToken(credential);
    if (expected === undefined || expected === "") {
      if (suffix) return suffix;
    } else if (constantTimeEqual(token, expected) && found === undefined) found = suffix;
  }
  return found;
}

/**
 * The client's headers without those of its `credentials` that carried ccp's own token: that
 * token is consumed by ccp and never reaches an upstream (an `auth: passthrough` provider gets only
 * the client's other credentials).
 */
export function withoutOwnToken(
  headers: Headers,
  credentials: readonly Presented[],
  expected: string | undefined,
): HeaderReader {
  if (!expected) return headers;
  // A header sent twice reaches ccp as one value joined by ", ": each part is looked at, so a
  // repeated token is hidden too.
  const own = credentials.filter((p) =>
    p.credential.split(",").some((part) =>
      constantTimeEqual(splitToken(part.trim().replace(/^bearer\s+/i, "")).token, expected)
    )
  );
  if (own.length === 0) return headers;
  return headersWithout(headers, own.map((p) => p.header));
}

/**
 * Compares two strings in time independent of where they differ. UTF-16 code units are compared
 * as they are (encoding both to bytes first cost two encoder calls per comparison, and a request
 * compares each credential with each token).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  // Past a string's end charCodeAt gives NaN, which `| 0` makes 0.
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
