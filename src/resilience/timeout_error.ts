/** The error every upstream timeout raises, naming which timeout fired and its value. */

import { formatKeyPath } from "../config/issues.ts";
import { formatMs } from "./clock.ts";

/** The four upstream timeouts (`timeouts` in the config). */
export type TimeoutKind = "connect" | "first_byte" | "idle" | "total";

const WHAT: Readonly<Record<TimeoutKind, (provider: string, took: string) => string>> = {
  connect: (p, t) => `could not connect to provider "${p}" within ${t}`,
  first_byte: (p, t) => `no response from provider "${p}" within ${t}`,
  idle: (p, t) => `no data from provider "${p}" for ${t}`,
  total: (p, t) => `provider "${p}" did not finish within ${t}`,
};

/**
 * An upstream timeout; the message reads e.g. `no data from provider "groq" for 120s (idle
 * timeout)`. `advice` names the setting that sets it, for the end of the message the client and
 * the log get, after what ccp adds about the request.
 */
export class UpstreamTimeoutError extends Error {
  readonly kind: TimeoutKind;
  readonly ms: number;
  readonly provider: string;
  readonly advice: string;

  constructor(kind: TimeoutKind, ms: number, provider: string) {
    super(`${WHAT[kind](provider, formatMs(ms))} (${kind} timeout)`);
    this.name = "UpstreamTimeoutError";
    this.kind = kind;
    this.ms = ms;
    this.provider = provider;
    this.advice = timeoutAdvice(kind, provider);
  }
}

/**
 * What to change when a timeout fires too soon: its key under the provider (a provider's own
 * setting wins over `provider_defaults`, so this one always takes effect).
 */
function timeoutAdvice(kind: TimeoutKind, provider: string): string {
  const key = formatKeyPath(["providers", provider, "timeouts", kind]);
  return `raise ${key} in the config${kind === "total" ? " (0 for none)" : ""}`;
}
