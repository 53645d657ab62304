/** Decides what to do after a failed upstream attempt: retry, rotate the key, move on, or give up. */

import { PER_MINUTE_TOO_LARGE, PROMPT_TOO_LONG } from "../core/context_overflow.ts";
import { ProxyError } from "../core/errors.ts";
import { rateLimitSaysOutOfCapacity, refusesRegion } from "../core/upstream_status.ts";
import { explicitRetryAfter, retryAfterFromBody, retryAfterFromHeaders } from "./backoff.ts";
import { geminiDayReset } from "./gemini_day.ts";
import { openRouterDayReset } from "./openrouter_day.ts";
import { routedProviderWords, saysFreeMinuteSpent } from "./openrouter_upstream.ts";
import { claudePlanLimitsModel, claudePlanReset, isPlanLimit, planResetAt } from "./plan_reset.ts";
import { UpstreamTimeoutError } from "./timeout_error.ts";

/** The next step after a failed attempt. */
export type Action = "retry_same" | "rotate_key" | "next_target" | "fatal";

/** What went wrong, in words the dispatcher and error mapping share. */
export type Cause =
  | "auth" // 401/402/403, or a 429 saying its credits are spent: this key is refused
  | "rate_limit" // 429 for this key
  | "overloaded" // 529, or a 429 that says the provider has no capacity
  | "server" // other 5xx, 408, 409
  | "client" // a request error another provider would also reject
  | "target" // this target does not serve the model or address (404, a 400 naming the model)
  | "connect" // no connection (refused, DNS, TLS, connect timeout)
  | "timeout" // first-byte or total timeout
  | "network" // connection broke before any byte of the answer
  | "local"; // ccp itself cannot use this target (e.g. no transport for its protocol)

/** A failed attempt as the transport reports it. */
export interface Failure {
  readonly status?: number;
  readonly headers?: Headers;
  readonly bodyText?: string;
  readonly error?: unknown;
  /** Upstream headers the client should see should this failure be its answer. */
  readonly relayHeaders?: Readonly<Record<string, string>>;
}

/** Provider facts classification depends on. */
export interface ClassifyContext {
  /** Statuses that go straight to the next target (`fallback_on`). */
  readonly fallbackOn: readonly number[];
  /** With `auth: passthrough` the key is the client's own, so 401/403 belong to the client. */
  readonly passthroughAuth?: boolean;
  readonly now: number;
  /** The upstream model the attempt asked for (a 429 that names it limits only that model). */
  readonly model?: string;
}

/** What a 429 limits: the model asked, the whole key, or the key's free (`:free`) models. */
export type RateLimitScope = "model" | "key" | "free_models";

/** The verdict: action, cause, and the server's wait hint when it gave one. */
export interface Classification {
  readonly action: Action;
  readonly cause: Cause;
  readonly retryAfterMs?: number;
  /**
   * For a 429: whether it limits the model that answered (usual), the whole key, or every free
   * model of the key (OpenRouter's `:free` models share one daily limit).
   */
  readonly scope?: RateLimitScope;
  /** Why the request moves on, for the log: said where the move is not the action's own sense. */
  readonly reason?: string;
  /**
   * The wait runs to a moment the upstream stated (a plan's usage window resetting): the key
   * cools that long, hours or days, where an ordinary hint is capped.
   */
  readonly stated?: boolean;
}

// Words of a 429 that says the account's credits, balance or spending cap are used up: OpenAI's
// `insufficient_quota` and its spend-limit codes, Moonshot's `exceeded_current_quota_error`, xAI's
// "used all available credits or reached its monthly spending limit", Z.AI's 1113 "Insufficient
// balance or no resource package" and 1309 (its GLM Coding Plan expired), Anthropic's
// `enforced_spend_limit_reached`, Gemini's "prepayment credits are depleted". Such a key serves
// again once someone pays or the month turns, not in seconds. OpenAI's and Gemini's per-minute
// limits also say "exceeded your current quota", so that phrase alone is no sign. The Chinese
// messages ("insufficient balance", "plan expired") are written as escapes, so the module's text
// stays one byte per character.
const SPENT =
  /insufficient_quota|exceeded_current_quota|credit_balance_exhausted|(?:organization|project)_(?:spend|usage)_limit_exceeded|enforced_spend_limit_reached|used all available credits|credits are depleted|insufficient balance|no resource package|\u4f59\u989d\u4e0d\u8db3|out of credits|"(?:code|type)"\s*:\s*"?1309\b|\u5957\u9910\u5df2\u5230\u671f/i;

// Other words that mark a 429 as the whole key or account being limited, not one model's limit.
const WHOLE_KEY =
  /exceeded your current quota|check your plan and billing|credit balance|account (?:is|has been) (?:limited|suspended|disabled)|(?:daily|monthly) (?:limit|quota) (?:for|of) (?:this|your) (?:key|account)/i;
// A quota message that names a model (Gemini's free tier: "limit: 10, model: gemini-2.5-pro")
// is per model even when it speaks of quota.
const NAMES_A_MODEL = /\bmodel\s*[:=]/i;

/** Whether a 429 limits only the model that answered, or every model of the key. */
export function rateLimitScope(bodyText: string | undefined, model?: string): "model" | "key" {
  const text = bodyText ?? "";
  if (isPlanLimit(text)) return "key";
  if (!SPENT.test(text) && !WHOLE_KEY.test(text)) return "model";
  if (NAMES_A_MODEL.test(text) || (model !== undefined && model !== "" && text.includes(model))) {
    return "model";
  }
  return "key";
}

/**
 * Whether a 429 says the key's credits or spending cap are spent: set aside like a 402 rather
 * than cooled for seconds. A 429 that names a model, or says when to come back, is a limit that
 * lifts by itself.
 */
function creditsSpent(failure: Failure, ctx: ClassifyContext): boolean {
  const text = failure.bodyText ?? "";
  if (!SPENT.test(text) || rateLimitScope(text, ctx.model) === "model") return false;
  return explicitRetryAfter(failure.headers, ctx.now) === undefined &&
    retryAfterFromBody(text, ctx.now) === undefined;
}

// Deno's fetch wraps the reason in `cause`: "client error (Connect): tcp connect error: ...".
// A port fetch never requests ("Requests to port 1 are blocked") fails the same way every time.
const CONNECT =
  /\(Connect\)|Requests to port \d+ are blocked|connection refused|dns error|failed to lookup|name or service not known|no such host|network is unreachable|certificate|\btls\b|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/i;

function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(" <- ");
}

function classifyError(error: unknown): Classification {
  if (error instanceof UpstreamTimeoutError) {
    return { action: "next_target", cause: error.kind === "connect" ? "connect" : "timeout" };
  }
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return { action: "next_target", cause: "timeout" };
  }
  // A transport may wrap its fetch failure in a ready-made UpstreamError: judge what it wraps.
  if (error instanceof ProxyError) {
    return error.cause === undefined
      ? { action: "next_target", cause: "local" }
      : classifyError(error.cause);
  }
  if (CONNECT.test(errorText(error))) return { action: "next_target", cause: "connect" };
  return { action: "retry_same", cause: "network" };
}

/**
 * The moment a plan's spent limit lifts, when the 429 states one still to come, and what it
 * limits: a GLM Coding Plan's window every model of the key, a Claude plan's the whole plan
 * unless it names one model family's weekly limit, a Gemini day's quota the model it names,
 * OpenRouter's free-models-per-day every free model of the key.
 */
function statedReset(
  failure: Failure,
  now: number,
): { at: number; scope: RateLimitScope } | undefined {
  const glm = planResetAt(failure.bodyText, now);
  if (glm !== undefined) return { at: glm, scope: "key" };
  const day = geminiDayReset(failure.bodyText, now) ?? openRouterDayReset(failure.bodyText, now);
  if (day !== undefined) return day;
  const claude = claudePlanReset(failure.headers);
  if (claude === undefined || claude <= now) return undefined;
  return { at: claude, scope: claudePlanLimitsModel(failure.headers) ? "model" : "key" };
}

function verdict(action: Action, cause: Cause, retryAfterMs?: number): Classification {
  return retryAfterMs === undefined ? { action, cause } : { action, cause, retryAfterMs };
}

// Server-side trouble: retried in place unless `fallback_on` says move on.
function serverSide(status: number, cause: Cause, ctx: ClassifyContext, hint?: number) {
  if (!ctx.fallbackOn.includes(status)) return verdict("retry_same", cause, hint);
  return { ...verdict("next_target", cause, hint), reason: `fallback_on lists ${status}` };
}

// A 400 whose words say the model itself is unknown here (OpenRouter's "... is not a valid model
// ID", Mistral's "Invalid model: ...", DeepSeek's "Model Not Exist", Gemini's "unexpected model name
// format"): a fact about this target, as a 404 is, not about the request.
const UNKNOWN_MODEL =
  /is not a valid model id|"invalid_model"|\binvalid model(?: id| name)?\s*:|model not exist|model_not_found|unexpected model name format|\bmodel\b[^.\n]{0,80}\b(?:does not exist|not found)\b|\b(?:unknown|no such) model\b/i;

// A refusal that says this model cannot call tools at all (Ollama's "... does not support tools",
// vLLM started without its tool parser, llama.cpp without --jinja, Mistral's and DeepSeek's
// wordings): Claude Code's requests need tools, and dropping them would not serve the request,
// but another target's model may have them.
const NO_TOOLS =
  /\bdoes not support (?:tools|tool use|tool calling|function calling|functions)\b|\b(?:tool calling|tool use|function calling|tools?) (?:is|are) not (?:supported|enabled)|\bfunction calling is not enabled|--enable-auto-tool-choice|tools param requires --jinja/i;

/**
 * A refusal that belongs to the target, not to the request: the model or the address is unknown
 * there (a 404 says either; ccp builds the address from the target). Another target may serve the
 * request, so it moves on; a route with one target answers it as before. So does a model that
 * cannot call tools. A 400 that names neither stays the request's own fault, which every target
 * would refuse alike.
 */
function targetRefusal({ status, bodyText = "" }: Failure): Classification | undefined {
  const reason = status === 404
    ? "404: this target does not serve the model or the address; the next may"
    : status === 400 && UNKNOWN_MODEL.test(bodyText)
    ? "the model is unknown to this target; the next may serve it"
    : (status === 400 || status === 500) && NO_TOOLS.test(bodyText)
    ? "this target's model cannot call tools; the next may"
    : undefined;
  return reason === undefined ? undefined : { action: "next_target", cause: "target", reason };
}

/**
 * Whether the failure is a prompt too long for this target's context window: the refusal ccp
 * words as Anthropic's `prompt is too long` (every provider's wording it recognises, whether it
 * came as an HTTP error or as an error inside a 200). A `max_tokens` that leaves no room is not
 * one: Claude Code lowers it and sends again.
 */
export function isContextOverflow(failure: Failure): boolean {
  const error = failure.error;
  return error instanceof ProxyError && error.status === 400 &&
    error.message.startsWith(PROMPT_TOO_LONG);
}

/** Classifies a failed attempt (table in tests/resilience/classify_test.ts). */
export function classify(failure: Failure, ctx: ClassifyContext): Classification {
  const { status } = failure;
  if (status === undefined) return classifyError(failure.error);
  const hint =
    (status === 429
      ? retryAfterFromHeaders(failure.headers, ctx.now)
      : explicitRetryAfter(failure.headers, ctx.now)) ??
      retryAfterFromBody(failure.bodyText, ctx.now);
  // Larger than the key's tokens-per-minute budget allows at all (Groq's 413, OpenAI's 429): no
  // wait serves it, and other keys of the account share the budget; another target may serve it.
  if ((status === 413 || status === 429) && PER_MINUTE_TOO_LARGE.test(failure.bodyText ?? "")) {
    return { action: "next_target", cause: "client" };
  }
  // A prompt too long for this target's window: a larger window further on may hold the whole
  // conversation. No fault of the target or its key, so no breaker or cool-down moves; a route
  // with one target still answers Claude Code's `prompt is too long`, on which it compacts.
  if (isContextOverflow(failure)) {
    return {
      action: "next_target",
      cause: "target",
      reason: "the prompt is too long for this target's context window; a larger one may hold it",
    };
  }
  // Every key of the provider would be refused alike, and no key is at fault.
  if (refusesRegion(status, failure.bodyText ?? "")) {
    return {
      action: "next_target",
      cause: "target",
      reason: "this provider refuses requests from this region; the next may serve them",
    };
  }
  if (status === 401 || status === 402 || status === 403) {
    // With passthrough there is no pool to rotate: the client's own credentials were refused
    // here, and the next target (with keys of its own) may still serve the request.
    return ctx.passthroughAuth
      ? { action: "next_target", cause: "auth" }
      : { action: "rotate_key", cause: "auth" };
  }
  if (status === 429) {
    // A passthrough "pool" is one shared slot: cooling it would lock out every client.
    if (ctx.passthroughAuth) {
      return verdict("next_target", "rate_limit", hint);
    }
    // A provider's words relayed by a gateway speak of the gateway's own account there: no reset
    // they state, no quota they call spent, is the user's key's.
    const routed = routedProviderWords(failure.bodyText);
    const reset = routed === undefined && explicitRetryAfter(failure.headers, ctx.now) === undefined
      ? statedReset(failure, ctx.now)
      : undefined;
    if (reset !== undefined) {
      return {
        action: "rotate_key",
        cause: "rate_limit",
        retryAfterMs: reset.at - ctx.now,
        scope: reset.scope,
        stated: true,
      };
    }
    // Provider-wide capacity rather than this key's quota (read the same way mid-stream).
    if (rateLimitSaysOutOfCapacity(failure.bodyText ?? "")) {
      return serverSide(status, "overloaded", ctx, hint);
    }
    if (routed !== undefined) {
      return {
        ...verdict("rotate_key", "rate_limit", hint ?? retryAfterFromBody(routed, ctx.now)),
        scope: "model",
      };
    }
    if (creditsSpent(failure, ctx)) return { action: "rotate_key", cause: "auth" };
    // OpenRouter's minute limit of free models counts them together, as its day's does: another
    // free model on the key is refused too, and a refused request still counts toward the day's.
    const scope = saysFreeMinuteSpent(failure.bodyText)
      ? "free_models"
      : rateLimitScope(failure.bodyText, ctx.model);
    return { ...verdict("rotate_key", "rate_limit", hint), scope };
  }
  // Before the server-side rule: llama.cpp says it cannot call tools with a 500.
  const refusal = targetRefusal(failure);
  if (refusal) return refusal;
  if (status === 529) return serverSide(status, "overloaded", ctx, hint);
  if (status >= 500 || status === 408 || status === 409) {
    return serverSide(status, "server", ctx, hint);
  }
  if (ctx.fallbackOn.includes(status)) {
    return { action: "next_target", cause: "client", reason: `fallback_on lists ${status}` };
  }
  return { action: "fatal", cause: "client" };
}
