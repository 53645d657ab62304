/** Client authentication, and the model suffix some clients put after the token (`token:provider/model`). */

const encoder = new TextEncoder();

/** The credentials a request carries, in the three headers ccp accepts. */
export function presentedCredentials(headers: Headers): string[] {
  const found: string[] = [];
  const apiKey = headers.get("x-api-key");
  if (apiKey) found.push(apiKey.trim());
  const authorization = headers.get("authorization");
  if (authorization && /^bearer\s+/i.test(authorization)) {
    found.push(authorization.replace(/^bearer\s+/i, "").trim());
  }
  const authToken = headers.get("anthropic-auth-token");
  if (authToken) found.push(authToken.trim());
  return found;
}

/** Splits `<token>:<suffix>`; only the part before the first `:` is the token. */
export function splitToken(credential: string): { token: string; suffix?: string } {
  const colon = credential.indexOf(":");
  if (colon < 0) return { token: credential };
  const suffix = credential.slice(colon + 1);
  return { token: credential.slice(0, colon), suffix: suffix || undefined };
}

/** The model override written after the token, from the first credential that has one. */
export function tokenSuffix(headers: Headers): string | undefined {
  for (const credential of presentedCredentials(headers)) {
    const { suffix } = splitToken(credential);
    if (suffix) return suffix;
  }
  return undefined;
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  let diff = left.length ^ right.length;
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

/** True when any presented credential's token part equals `expected`. */
export function isAuthorized(headers: Headers, expected: string): boolean {
  let ok = false;
  // Check every credential (no early exit) so timing does not reveal which header matched.
  for (const credential of presentedCredentials(headers)) {
    if (constantTimeEqual(splitToken(credential).token, expected)) ok = true;
  }
  return ok;
}
