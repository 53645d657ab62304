/**
 * OpenRouter's spent daily limit on free models. Its 429 says `free-models-per-day` and relays the
 * limit's headers inside the body (`metadata.headers.X-RateLimit-Reset`, epoch milliseconds: the
 * next UTC midnight). That reset is a moment OpenRouter stated, not a guess to re-probe: capped at
 * the usual half hour, the key was asked again (and refused again) every 30 minutes all day, and
 * Claude Code was told to retry in 1800 s, not when the limit lifts.
 */

import { bodyResetAt } from "./backoff.ts";

const FREE_DAY = /free-models-per-day/;

/**
 * When an OpenRouter 429 in `bodyText` says the free models' daily limit is spent: the reset it
 * relays, for every `:free` model of the key. The limit counts the account's free models together
 * (any other `:free` model would only be refused too), and none of its paid ones, which still serve.
 */
export function openRouterDayReset(
  bodyText: string | undefined,
  now: number,
): { at: number; scope: "free_models" } | undefined {
  if (bodyText === undefined || !FREE_DAY.test(bodyText)) return undefined;
  const at = bodyResetAt(bodyText);
  return at !== undefined && at > now ? { at, scope: "free_models" } : undefined;
}
