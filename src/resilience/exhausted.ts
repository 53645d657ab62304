/** The errors a client gets when no target answered, never leaking a key or a 401. */

import { ProxyError, UpstreamError } from "../core/errors.ts";
import { type ClientError, clientErrorOf } from "../core/upstream_status.ts";
import type { Cause } from "./classify.ts";
import { readsAsOverflow } from "../core/context_overflow.ts";
import { budgetExhausted, resetText } from "./budget_refusal.ts";
import { secondsUntil, waitText } from "./clock.ts";
import { nameOf, type TargetOutcome } from "./outcome.ts";

type Failed = Extract<TargetOutcome, { kind: "failed" }>;
type KeysOutcome = Extract<TargetOutcome, { kind: "keys" }>;
type BudgetOutcome = Extract<TargetOutcome, { kind: "budget" }>;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `text` as a sentence: an upstream's own message often ends in a full stop already. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A provider that needs a key and has none, which was therefore sent nothing. */
function missingText(missing: string): string {
  return `no API key is set for it, so nothing was sent (set ${missing})`;
}

/** One clause per target: what state it is in and why. */
function describeOutcome(outcome: TargetOutcome, now: number): string {
  const who = nameOf(outcome.target);
  switch (outcome.kind) {
    case "keys": {
      const { cooling, blocked, keyless, missing, recentStatuses, retryAt } = outcome.keys;
      if (missing !== undefined) return `${who}: ${missingText(missing)}`;
      const parts: string[] = [];
      if (cooling > 0) parts.push(`${plural(cooling, "key")} cooling down after 429`);
      if (blocked > 0 && keyless) {
        parts.push(`no API key is set for it and it answered ${recentStatuses.join(", ")}`);
      } else if (blocked > 0) {
        parts.push(`${plural(blocked, "key")} refused with ${recentStatuses.join(", ")}`);
      }
      // The upstream's own words: a 403 is as often a model, region or content refusal as a bad key,
      // and a 429 may be a day's quota as well as a minute's.
      const words = cooling > 0
        ? outcome.keys.lastLimit
        : blocked > 0
        ? outcome.keys.lastRefusal
        : undefined;
      // A cool-down ends by itself. A refused key is tried again after its rest because a refusal
      // is not always the key's end (the upstream's sign-in service failing for a while, a key
      // re-enabled or a rotated one still honoured, a 403 for a model the account gains): the
      // re-try finds it without a reload. No key at all is refused again whenever it is tried, so
      // nothing is said of when: only setting one helps.
      const when = cooling > 0
        ? `usable again in ${waitText(retryAt, now)}`
        : keyless
        ? ""
        : `tried again in ${waitText(retryAt, now)}`;
      const said = [when, words ? `last: ${words}` : ""].filter((t) => t !== "").join("; ");
      return `${who}: ${parts.join(", ")}${said ? ` (${said})` : ""}`;
    }
    case "open":
      return `${who}: paused after repeated failures${
        outcome.lastError ? ` (last: ${outcome.lastError})` : ""
      }, re-tried in ${secondsUntil(outcome.until, now)}s`;
    case "busy":
      return outcome.message;
    case "budget":
      return `${who}: ${outcome.budget ? `budget of ${outcome.budget}` : "budget"} spent (${
        resetText(outcome.until, now)
      })`;
    case "credential":
      // Never the credential, not even its last characters: this text goes to the client.
      return `${who}: the client's own credential was refused with ${outcome.status} (${
        outcome.status === 429 ? "plan or rate limit" : "not accepted"
      }; tried again in ${secondsUntil(outcome.until, now)}s)`;
    case "window":
      return `${who}: passed, ${outcome.why}`;
    case "failed":
      return namesTarget(outcome.detail, outcome.target)
        ? outcome.detail
        : `${who}: ${outcome.detail}`;
  }
}

// A transport's own error already begins with the target it names (`Provider "p" (model m)
// answered ...`): said once, not twice.
function namesTarget(detail: string, target: TargetOutcome["target"]): boolean {
  const named = `provider "${target.provider}" (model ${target.model})`;
  return detail.slice(0, named.length).toLowerCase() === named.toLowerCase();
}

// Status and type for the last upstream failure: ccp's own errors keep theirs, failures without
// an HTTP answer are gateway errors, everything else goes through the one status table.
function mapStatus(outcome: Failed): ClientError {
  const { status, error } = outcome.failure;
  const { cause } = outcome.verdict;
  if (cause === "local" && error instanceof ProxyError) {
    // ccp's own verdict keeps its status, but never poses as the client's token being refused.
    return error.status === 401 || error.status === 403
      ? clientErrorOf(error.status)
      : { status: error.status, type: error.errorType };
  }
  if (cause === "timeout") return { status: 504, type: "api_error" };
  // A provider out of capacity is what Anthropic answers 529 for, whatever status the provider
  // used (OpenAI-style APIs say so with a 429): as a 429, Claude Code would take it for the
  // user's own rate limit and retry for minutes, never switching to its `--fallback-model`.
  if (cause === "overloaded") return clientErrorOf(529);
  // A refusal the transport worded as Anthropic's over-long prompt is the 400 Claude Code
  // compacts on, whatever the upstream's status (a 413 would read as a body over 32 MB).
  if (error instanceof ProxyError && error.status === 400 && status !== 400) {
    return { status: 400, type: error.errorType };
  }
  if (cause === "connect" || cause === "network") return clientErrorOf(undefined);
  return clientErrorOf(status);
}

// Upstream trouble that may pass with time, which a client's retry (after a wait) may outlast.
const PASSING: ReadonlySet<Cause> = new Set<Cause>([
  "server",
  "overloaded",
  "network",
  "timeout",
  "connect",
]);

/**
 * The last upstream failure as an Anthropic error naming provider, model and reason.
 * `repeatWaitMs`: when ccp already tried more than once for this request (retries in place or
 * failover), the wait its own backoff would take next.
 */
export function failureError(
  outcome: Failed,
  now: number,
  repeatWaitMs?: number,
  before: readonly TargetOutcome[] = [],
): UpstreamError {
  const { status, type } = mapStatus(outcome);
  const hint = outcome.verdict.retryAfterMs;
  // What the upstream said the client should see (a passthrough plan's usage headers).
  const headers: Record<string, string> = { ...outcome.failure.relayHeaders };
  // The failure's own advice to the client (a model server that is not running: do not retry;
  // one still loading its model: retry, after its wait).
  const own = outcome.failure.error instanceof ProxyError ? outcome.failure.error.headers : {};
  const noRetry = own["x-should-retry"];
  if (status === 429 || hint !== undefined && status >= 500) {
    headers["Retry-After"] = String(secondsUntil(now + (hint ?? 1000), now));
  } else if (noRetry === "true" && own["retry-after"]) {
    headers["Retry-After"] = own["retry-after"];
  } else if (
    status >= 500 && repeatWaitMs !== undefined && !noRetry && PASSING.has(outcome.verdict.cause)
  ) {
    // Without a wait, the Anthropic SDKs retry a 5xx or 529 after half a second (Claude Code
    // after about one), and each retry would run ccp's whole sequence of tries again: the
    // upstream that just failed that many times gets them again at once. The wait ccp's backoff
    // would take next continues its schedule; the retry stays the client's to make.
    headers["Retry-After"] = String(secondsUntil(now + repeatWaitMs, now));
  }
  if (noRetry) headers["x-should-retry"] = noRetry;
  const message = outcome.failure.error instanceof ProxyError
    ? outcome.detail // already names provider and model
    // A target's own refusal (an unknown model) reads the same whether the chain went on or not.
    : outcome.verdict.action === "fatal" || outcome.verdict.cause === "target"
    ? `${nameOf(outcome.target)} rejected the request: ${outcome.detail}`
    : `${nameOf(outcome.target)} failed: ${outcome.detail}`;
  // The route's earlier targets failed or were passed first: a fallback's failure alone would
  // hide that the first target is rate limited (and until when), which the user wants to know.
  // A request too large for the context keeps Anthropic's exact words (a prompt too long, an
  // output that does not fit), whose numbers Claude Code reads to compact or to ask for less.
  const error = outcome.failure.error;
  const ownWords = error instanceof ProxyError && readsAsOverflow(error.message);
  const earlier = before.length > 0 && !ownWords
    ? ` ${sentence(`Tried before it: ${before.map((o) => briefOutcome(o, now)).join(", ")}`)}`
    : "";
  // ccp's own refusal keeps the fields it put beside its message (a code the SDKs act on).
  const extra = error instanceof ProxyError && Object.keys(error.extra).length > 0
    ? { extra: { ...error.extra } }
    : {};
  return new UpstreamError(type, earlier ? sentence(message) + earlier : message, {
    status,
    upstreamStatus: outcome.failure.status,
    headers,
    cause: outcome.failure.error,
    ...extra,
  });
}

/** One target's state in a few words, for the earlier targets of a failed route. */
function briefOutcome(outcome: TargetOutcome, now: number): string {
  const who = nameOf(outcome.target);
  switch (outcome.kind) {
    case "keys": {
      const { cooling, blocked, keyless, missing, recentStatuses, retryAt } = outcome.keys;
      const statuses = recentStatuses.join(", ");
      // A pool with keys both cooling and refused says both: the refused ones need a fix, which
      // no wait brings.
      const refused = blocked > 0 ? `; keys refused with ${statuses}` : "";
      // A provider with no key has none to set aside: its refusal is the key it was never given.
      return missing !== undefined
        ? `${who} (${missingText(missing)})`
        : cooling > 0
        ? `${who} (429, usable again in ${waitText(retryAt, now)}${refused})`
        : keyless
        ? `${who} (no API key is set for it and it answered ${statuses})`
        : `${who} (keys refused with ${statuses})`;
    }
    case "failed":
      return `${who} (${outcome.failure.status ?? "no answer"})`;
    case "open":
      return `${who} (paused after repeated failures)`;
    case "budget":
      return `${who} (budget spent)`;
    case "credential":
      return `${who} (the client's own credential refused with ${outcome.status})`;
    case "window":
      return `${who} (passed, ${outcome.why})`;
    case "busy":
      return `${who} (busy)`;
  }
}

// Providers can repeat in a chain (two models of one provider): count their keys once.
function perProvider(outcomes: readonly KeysOutcome[]): KeysOutcome[] {
  const seen = new Map<string, KeysOutcome>();
  for (const o of outcomes) seen.set(o.target.provider, o);
  return [...seen.values()];
}

/** When an outcome is a 429 cool-down the upstream announced and that is still running, its end. */
function announcedCooldown(outcome: TargetOutcome, now: number): number | undefined {
  if (outcome.kind === "keys") {
    const k = outcome.keys;
    return k.reason === "cooling" && k.hinted && k.retryAt > now ? k.retryAt : undefined;
  }
  if (outcome.kind === "failed" && outcome.verdict.cause === "rate_limit") {
    const hint = outcome.verdict.retryAfterMs;
    return hint !== undefined && hint > 0 ? now + hint : undefined;
  }
  // A hold set by a 429 earlier in this same request stands for that announced limit (its end
  // capped to when ccp asks again), as its own try would have.
  if (outcome.kind === "credential" && outcome.status === 429 && (outcome.hinted || outcome.now)) {
    return outcome.until > now ? outcome.until : undefined;
  }
  return undefined;
}

function modelCooldown(
  outcomes: readonly TargetOutcome[],
  retryAt: number,
  now: number,
): UpstreamError {
  const seconds = secondsUntil(retryAt, now);
  const message = sentence(
    `All credentials are cooling down after rate limits (429): ${
      outcomes.map((o) => describeOutcome(o, now)).join("; ")
    }`,
  ) + ` Retry in ${waitText(retryAt, now)}.`;
  const relayed = outcomes.flatMap((o) => o.kind === "failed" ? [o.failure.relayHeaders] : []);
  return new UpstreamError("rate_limit_error", message, {
    status: 429,
    upstreamStatus: 429,
    headers: { ...Object.assign({}, ...relayed), "Retry-After": String(seconds) },
    extra: { code: "model_cooldown", retry_after: seconds },
  });
}

// How a fixed key reaches a running ccp (a changed key starts afresh).
const RELOAD = "save the config or its .env (ccp reloads it), or send ccp SIGHUP or restart it";

function authUnavailable(outcomes: readonly KeysOutcome[], now: number): UpstreamError {
  const providers = perProvider(outcomes);
  const blocked = providers.reduce((n, o) => n + o.keys.blocked, 0);
  const statuses = [...new Set(providers.flatMap((o) => o.keys.recentStatuses))];
  const seconds = secondsUntil(Math.min(...outcomes.map((o) => o.keys.retryAt)), now);
  // Without a key, no wait helps: a retry is refused again, so the client is told not to make
  // one (Claude Code and the Anthropic SDKs obey x-should-retry) until a key is set.
  const keyless = outcomes.every((o) => o.keys.keyless);
  const advice = keyless
    ? `Set the key each one names, then ${RELOAD}.`
    // A 402 refuses a payment (OpenRouter: "requires more credits"), not the key itself; a key
    // is set aside after a 429 only when it said the credits or spending cap are used up.
    : statuses.every((status) => status === 402 || status === 429)
    ? `Add credits to the account behind the key or raise its spending limit (${
      statuses.map((status) => status === 402 ? "402: payment required" : "429: quota spent")
        .join("; ")
    }), then restart ccp or send it SIGHUP.`
    // A fixed key is read at a reload; until then the refused one stays set aside.
    : `Fix the key (\`ccp check\` shows the last 4 characters of each), then ${RELOAD}.`;
  const message = `No usable credentials: ${
    outcomes.map((o) => describeOutcome(o, now)).join("; ")
  }. ${advice}`;
  return new UpstreamError("api_error", message, {
    status: 503,
    headers: {
      "Retry-After": String(seconds),
      ...(keyless ? { "x-should-retry": "false" } : {}),
    },
    extra: { code: "auth_unavailable", blocked, recent_statuses: statuses },
  });
}

/**
 * The error for a chain where no target answered, chosen from all target outcomes:
 * `model_cooldown` only when every remaining reason is a 429 whose announced wait has not passed.
 */
export function exhaustedError(
  every: readonly TargetOutcome[],
  now: number,
  repeatWaitMs?: number,
): UpstreamError {
  // A spent budget is the answer only when it is the reason for every target.
  const outcomes = every.filter((o) => o.kind !== "budget");
  const budgets = every.filter((o): o is BudgetOutcome => o.kind === "budget");
  if (every.length > 0 && outcomes.length === 0) return budgetExhausted(budgets, now);
  const announced = outcomes.map((o) => announcedCooldown(o, now));
  if (outcomes.length > 0 && announced.every((until) => until !== undefined)) {
    return modelCooldown(outcomes, Math.min(...(announced as number[])), now);
  }
  const failed = outcomes.findLast((o): o is Failed => o.kind === "failed");
  if (failed) {
    const before = outcomes.slice(0, outcomes.indexOf(failed));
    return failureError(failed, now, repeatWaitMs, before);
  }
  const keys = outcomes.filter((o): o is KeysOutcome => o.kind === "keys");
  if (outcomes.length > 0 && keys.length === outcomes.length) {
    const cooling = keys.filter((o) => o.keys.cooling > 0);
    if (cooling.length === 0) return authUnavailable(keys, now);
    // Cooling on ccp's own guess (no Retry-After from the upstream): a rate limit, not a promise.
    const seconds = secondsUntil(Math.min(...cooling.map((o) => o.keys.retryAt)), now);
    return new UpstreamError(
      "rate_limit_error",
      sentence(`Rate limited (429): ${keys.map((o) => describeOutcome(o, now)).join("; ")}`),
      { status: 429, upstreamStatus: 429, headers: { "Retry-After": String(seconds) } },
    );
  }
  const reasons = outcomes.map((o) => describeOutcome(o, now)).join("; ");
  if (outcomes.length > 0 && outcomes.every((o) => o.kind === "busy")) {
    // The earliest known place; a local queue or a slot frees at any moment, so 1 s.
    const known = outcomes.flatMap((o) => o.kind === "busy" && o.until ? [o.until] : []);
    const seconds = known.length === outcomes.length ? secondsUntil(Math.min(...known), now) : 1;
    return new UpstreamError("rate_limit_error", sentence(reasons), {
      status: 429,
      headers: { "Retry-After": String(seconds) },
    });
  }
  const untils = outcomes.flatMap((o) =>
    o.kind === "open" || o.kind === "credential"
      ? [o.until]
      : o.kind === "keys"
      ? [o.keys.retryAt]
      : []
  );
  const seconds = untils.length > 0 ? secondsUntil(Math.min(...untils), now) : 1;
  return new UpstreamError(
    "api_error",
    sentence(`No target of this route is available: ${reasons || "empty route"}`),
    {
      status: 503,
      headers: { "Retry-After": String(seconds) },
    },
  );
}
