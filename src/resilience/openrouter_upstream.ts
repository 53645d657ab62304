/**
 * OpenRouter's 429s of its own and of the providers it routes to. Its own free-model limits
 * (`free-models-per-min`, `free-models-per-day`) count every `:free` model of the account together.
 * A provider's 429 comes as "Provider returned error" with the provider's body in `metadata.raw`
 * and its name in `metadata.provider_name`: those words are about OpenRouter's account at that
 * provider, for that one model, not about the user's OpenRouter key. Read as the key's own, a
 * Google quota's "exceeded your current quota" rested the key for every model, and an OpenAI
 * `insufficient_quota` set it aside as if its credits were spent.
 */

import { isRecord } from "../core/json.ts";

const FREE_MINUTE = /free-models-per-min\b/;
// Only a body that names a provider is parsed: a cheap test spares every other 429 the parse.
const NAMES_PROVIDER = /"provider_name"\s*:\s*"/;

/** Whether an OpenRouter 429 says the account's free models' per-minute limit is spent. */
export function saysFreeMinuteSpent(bodyText: string | undefined): boolean {
  return bodyText !== undefined && FREE_MINUTE.test(bodyText);
}

/**
 * The words of the provider behind an OpenRouter error (`metadata.raw`, a provider named), or
 * undefined when the body is not one.
 */
export function routedProviderWords(bodyText: string | undefined): string | undefined {
  if (bodyText === undefined || !NAMES_PROVIDER.test(bodyText)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const metadata = isRecord(body) && isRecord(body.error) ? body.error.metadata : undefined;
  if (!isRecord(metadata) || typeof metadata.raw !== "string") return undefined;
  const name = metadata.provider_name;
  return typeof name === "string" && name !== "" ? metadata.raw : undefined;
}
