/** The error every upstream timeout raises, naming which timeout fired and its value. */

import { formatMs } from "./clock.ts";

/** The four upstream timeouts (`timeouts` in the config). */
export type TimeoutKind = "connect" | "first_byte" | "idle" | "total";

const WHAT: Readonly<Record<TimeoutKind, (provider: string, took: string) => string>> = {
  connect: (p, t) => `could not connect to provider "${p}" within ${t}`,
  first_byte: (p, t) => `no response from provider "${p}" within ${t}`,
  idle: (p, t) => `no data from provider "${p}" for ${t}`,
  total: (p, t) => `provider "${p}" did not finish within ${t}`,
};

/** An upstream timeout; the message reads e.g. `no data from provider "groq" for 120s (idle timeout)`. */
export class UpstreamTimeoutError extends Error {
  readonly kind: TimeoutKind;
  readonly ms: number;
  readonly provider: string;

  constructor(kind: TimeoutKind, ms: number, provider: string) {
    super(`${WHAT[kind](provider, formatMs(ms))} (${kind} timeout)`);
    this.name = "UpstreamTimeoutError";
    this.kind = kind;
    this.ms = ms;
    this.provider = provider;
  }
}
