/** free-claude-code's global provider knobs (PROVIDER_*, HTTP_*_TIMEOUT), read in environment-only mode. */

import type { ProviderDefaultsSection } from "../schema/config.ts";
import { type EnvMap, envValue } from "./map.ts";
import { parseDuration } from "../units.ts";

// free-claude-code treats these words as "wait forever" for HTTP_READ_TIMEOUT.
const NO_TIMEOUT = new Set(["0", "none", "null", "off", "disabled"]);

/** Reads the knobs as provider_defaults; each bad value becomes a "VARIABLE: problem" line. */
export function tuningFromEnv(
  env: EnvMap,
): { defaults: ProviderDefaultsSection; problems: string[] } {
  const problems: string[] = [];
  const whole = (name: string, min: number): number | undefined => {
    const text = envValue(env, name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (/^\d+$/.test(text) && n >= min) return n;
    problems.push(`${name}: expected a whole number ${min} or more, got ${JSON.stringify(text)}`);
    return undefined;
  };
  const seconds = (name: string, allowNone: boolean): number | undefined => {
    const text = envValue(env, name);
    if (text === undefined) return undefined;
    if (allowNone && NO_TIMEOUT.has(text.toLowerCase())) return 0;
    try {
      return parseDuration(text);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  };

  const maxRetries = whole("PROVIDER_MAX_RETRIES", 0);
  // Seconds, as free-claude-code reads them ("2.0"); a unit (500ms) is taken too.
  const retryBase = seconds("PROVIDER_RETRY_BASE_DELAY", false);
  const retryMax = seconds("PROVIDER_RETRY_MAX_DELAY", false);
  const maxConcurrency = whole("PROVIDER_MAX_CONCURRENCY", 1);
  const requests = whole("PROVIDER_RATE_LIMIT", 1);
  const window = seconds("PROVIDER_RATE_WINDOW", false) ?? 60_000;
  const connect = seconds("HTTP_CONNECT_TIMEOUT", true);
  const idle = seconds("HTTP_READ_TIMEOUT", true);
  if (requests !== undefined && window <= 0) {
    problems.push("PROVIDER_RATE_WINDOW: must be more than 0");
  }

  const timeouts = {
    ...(connect !== undefined ? { connect } : {}),
    ...(idle !== undefined ? { idle } : {}),
  };
  const retryDelay = {
    ...(retryBase !== undefined ? { base: retryBase } : {}),
    ...(retryMax !== undefined ? { max: retryMax } : {}),
  };
  const defaults: ProviderDefaultsSection = {
    ...(maxRetries !== undefined ? { max_retries: maxRetries } : {}),
    ...(Object.keys(retryDelay).length > 0 ? { retry_delay: retryDelay } : {}),
    ...(maxConcurrency !== undefined ? { max_concurrency: maxConcurrency } : {}),
    ...(requests !== undefined ? { rate_limit: { requests, window } } : {}),
    ...(Object.keys(timeouts).length > 0 ? { timeouts } : {}),
  };
  return { defaults, problems };
}
