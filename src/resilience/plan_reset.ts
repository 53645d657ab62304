/**
 * The end of a subscription plan's usage window, as the upstream states it in its 429: a moment,
 * not a guess, so the key cools until then however far off (see `classify`). Anthropic states it
 * for a Claude plan in its headers (below). Z.AI's and Zhipu's GLM Coding Plan say when a spent
 * window lifts only in the message: code 1308 for the rolling window ("Usage limit reached for 5
 * hour. Your limit will reset at 2026-09-06 09:04:58", or the same in Chinese), code 1310 for the
 * weekly or monthly one ("Weekly/Monthly Limit Exhausted. Your limit will reset at ...").
 * The moment carries no zone and is China Standard Time (UTC+8) on both sites. Until then every
 * request with that key is refused whatever the model, so the key cools until that moment rather
 * than for seconds.
 */

// The plan's codes, wherever the endpoint puts them (`code` on the OpenAI-style API, `type` on the
// Anthropic-style one), or its words for a spent window (the Chinese ones, written as escapes so
// the module's text stays one byte per character: "usage limit" and "will ... at").
const PLAN_LIMIT =
  /"(?:code|type)"\s*:\s*"?13(?:08|10)\b|usage limit reached for \d+ \w+|weekly\/monthly limit exhausted|\u4f7f\u7528\u4e0a\u9650/i;
const RESET_AT = /(?:will reset at|\u5c06\u5728)\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})/i;
const CHINA_STANDARD_TIME = "+08:00";

/** Whether a 429 body is a GLM Coding Plan's spent window (it limits the whole key). */
export function isPlanLimit(bodyText: string | undefined): boolean {
  return PLAN_LIMIT.test(bodyText ?? "");
}

/**
 * The moment (epoch ms) a spent plan window stated in `bodyText` lifts; undefined when the body
 * states none, or one already past (a clock or zone gone wrong is no reason to wait).
 */
export function planResetAt(bodyText: string | undefined, now: number): number | undefined {
  if (!bodyText || !isPlanLimit(bodyText)) return undefined;
  const match = RESET_AT.exec(bodyText);
  if (!match) return undefined;
  const at = Date.parse(`${match[1]}T${match[2]}${CHINA_STANDARD_TIME}`);
  return Number.isNaN(at) || at <= now ? undefined : at;
}

/**
 * The moment (epoch ms) a Claude plan's limit resets, from Anthropic's plan-usage headers:
 * `...-unified-reset` (epoch seconds), only when `...-unified-status` says `rejected`. On a 429 while
 * the plan still allows requests (a momentary throttle), that reset is the end of a usage window
 * hours away, not when to come back.
 */
export function claudePlanReset(headers: Headers | undefined): number | undefined {
  if (headers?.get("anthropic-ratelimit-unified-status")?.trim() !== "rejected") return undefined;
  const raw = headers.get("anthropic-ratelimit-unified-reset")?.trim();
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw)) return undefined;
  return Math.round(Number(raw) * 1000);
}

// Claims of a Claude plan's limit that bind one model family only: the plan still serves the others.
const MODEL_CLAIMS = /^seven_day_(?:opus|sonnet)$/;

/**
 * Whether a Claude plan's refusal binds only the model family asked for: it names the limit that
 * counts (`...-unified-representative-claim`), and only the per-family weekly ones do; the 5-hour,
 * weekly or extra-usage limits bind the whole plan.
 */
export function claudePlanLimitsModel(headers: Headers | undefined): boolean {
  const claim = headers?.get("anthropic-ratelimit-unified-representative-claim")?.trim() ?? "";
  return MODEL_CLAIMS.test(claim);
}
