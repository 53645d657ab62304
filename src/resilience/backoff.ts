/** Retry delays (exponential, full jitter) and the server hints that override them. */

import { claudePlanReset } from "./plan_reset.ts";

/** How long to wait between retries of one target. */
export interface BackoffOptions {
  /** Ceiling of the first delay. */
  readonly baseMs: number;
  /** No computed delay exceeds this. */
  readonly maxMs: number;
  /** A server hint above this is not waited for in place (the caller moves on instead). */
  readonly maxRetryAfterMs: number;
  /** Uniform [0, 1) source, injected so tests are exact. */
  readonly random?: () => number;
}

/** Defaults: 1 s base, 30 s max, hints honoured up to 60 s (what the Anthropic SDKs do too). */
export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 1000,
  maxMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Delay before retry number `attempt` (0-based): the hint when given (capped), else full jitter. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) {
    return Math.min(Math.max(0, retryAfterMs), options.maxRetryAfterMs);
  }
  // Full jitter (a uniform wait below the exponential ceiling): spreads retries of many clients
  // instead of having them hit a recovering upstream in lock-step.
  return Math.floor((options.random ?? Math.random)() * backoffCeiling(attempt, options));
}

/** The longest wait {@link backoffDelay} may draw before retry number `attempt` (0-based). */
export function backoffCeiling(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
}

/** Parses a `Retry-After` value (delta seconds or an HTTP-date) into ms from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Parses durations like `1s`, `6m0s`, `20ms`, `2m59.56s` (OpenAI/Groq reset headers) or bare seconds. */
export function parseDuration(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const match =
    /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/
      .exec(text);
  if (!match || text === "") return undefined;
  const [, h = "0", m = "0", s = "0", ms = "0"] = match;
  return Math.round(Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms));
}

/**
 * Reads the best wait hint of a 429 from response headers, in ms; undefined when there is none.
 * Besides `Retry-After`, when the exhausted rate-limit window resets says when the limit lifts.
 */
export function retryAfterFromHeaders(
  headers: Headers | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  return explicitRetryAfter(headers, now) ?? planReset(headers, now) ?? resetHint(headers, now) ??
    epochReset(headers.get("x-ratelimit-reset"), now);
}

/**
 * The wait the server asked for in so many words (`retry-after-ms`, `Retry-After`), in ms. The
 * only hint of an answer other than a 429: the rate-limit windows that Groq and OpenAI send on
 * every answer say nothing of when a 5xx passes.
 */
export function explicitRetryAfter(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  // retry-after-ms is what OpenAI and Azure send for sub-second precision; it wins over retry-after.
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers.get("retry-after"), now);
}

// Wait hints written in an error body rather than a header: Google's RetryInfo detail
// (`"retryDelay": "33s"`, the only hint a Gemini 429 carries), the sentence its message ends
// with (`Please retry in 33.52s.`), and Moonshot's (`request reached organization max RPM: 3,
// please try again after 20 seconds`), whose 429 has no Retry-After.
const BODY_HINTS: readonly RegExp[] = [
  /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?(?:ms|s))"/,
  /\bplease retry in (\d+(?:\.\d+)?(?:ms|s))\b/i,
  /\bplease try again after (\d+(?:\.\d+)?) seconds?\b/i,
];

// OpenRouter relays the limit's headers inside its error body (`metadata.headers`), its reset as
// epoch milliseconds: a spent free-models-per-day limit comes back at the next UTC day, not in a
// second.
const BODY_RESET = /"X-RateLimit-Reset"\s*:\s*"?(\d{13})"?/i;

/** Reads a wait hint from an error body, in ms from `now`; undefined when it has none. */
export function retryAfterFromBody(
  bodyText: string | undefined,
  now: number,
): number | undefined {
  if (!bodyText) return undefined;
  for (const pattern of BODY_HINTS) {
    const match = pattern.exec(bodyText);
    const ms = match ? parseDuration(match[1]!) : undefined;
    if (ms !== undefined) return ms;
  }
  // A reset already past on this clock (it runs ahead of the upstream's) says nothing of when the
  // limit lifts: read as "now", every key was asked again at once, request after request.
  const reset = bodyResetAt(bodyText);
  return reset === undefined || reset <= now ? undefined : reset - now;
}

/**
 * OpenRouter's own `X-RateLimit-Reset` header, epoch milliseconds, in ms from `now`: a reset
 * already past (this clock ahead of the upstream's) says nothing of when. Other providers' values
 * of that name (seconds, durations) are not read.
 */
function epochReset(value: string | null, now: number): number | undefined {
  const at = value !== null && /^\d{13}$/.test(value.trim()) ? Number(value) : undefined;
  return at === undefined || at <= now ? undefined : at - now;
}

/** The reset (epoch ms) an OpenRouter error body relays from its limit's headers, if any. */
export function bodyResetAt(bodyText: string): number | undefined {
  const reset = BODY_RESET.exec(bodyText);
  return reset ? Number(reset[1]) : undefined;
}

/** When a Claude plan's spent limit lifts (see {@link claudePlanReset}), in ms from `now`. */
function planReset(headers: Headers, now: number): number | undefined {
  const at = claudePlanReset(headers);
  return at === undefined ? undefined : Math.max(0, at - now);
}

// Rate-limit reset headers: OpenAI/Groq `x-ratelimit-reset-{requests,tokens}` (durations),
// Cerebras the same per window (`x-ratelimit-reset-tokens-minute`, `...-requests-day`: seconds),
// and Anthropic `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset` (RFC
// 3339). The exhausted kind (remaining 0) tells which reset matters; without that, the soonest is
// used, because a further 429 will simply cool the key again.
const RESET_KINDS: readonly { reset: string; remaining: string; date: boolean }[] = [
  "requests",
  "tokens",
].flatMap((kind) => [
  ...["", "-minute", "-hour", "-day"].map((window) => ({
    reset: `x-ratelimit-reset-${kind}${window}`,
    remaining: `x-ratelimit-remaining-${kind}${window}`,
    date: false,
  })),
  {
    reset: `anthropic-ratelimit-${kind}-reset`,
    remaining: `anthropic-ratelimit-${kind}-remaining`,
    date: true,
  },
]).concat(["input-tokens", "output-tokens"].map((kind) => ({
  reset: `anthropic-ratelimit-${kind}-reset`,
  remaining: `anthropic-ratelimit-${kind}-remaining`,
  date: true,
})));

function resetHint(headers: Headers, now: number): number | undefined {
  const exhausted: number[] = [];
  const all: number[] = [];
  for (const kind of RESET_KINDS) {
    const raw = headers.get(kind.reset);
    if (raw === null) continue;
    const ms = kind.date ? parseRetryAfter(raw, now) : parseDuration(raw);
    if (ms === undefined) continue;
    all.push(ms);
    if (headers.get(kind.remaining)?.trim() === "0") exhausted.push(ms);
  }
  if (exhausted.length > 0) return Math.max(...exhausted);
  return all.length > 0 ? Math.min(...all) : undefined;
}
