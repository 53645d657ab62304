/**
 * free-claude-code variables ccp does not read, grouped with what to do instead: a copied `.env`
 * works, and what it says that ccp would silently drop is named at start-up and by `ccp check`.
 */

import { type EnvMap, envValue } from "./map.ts";

const GROUPS: ReadonlyArray<{ readonly names: readonly string[]; readonly instead: string }> = [
  {
    names: [
      "FAST_PREFIX_DETECTION",
      "ENABLE_NETWORK_PROBE_MOCK",
      "ENABLE_TITLE_GENERATION_SKIP",
      "ENABLE_SUGGESTION_MODE_SKIP",
      "ENABLE_FILEPATH_EXTRACTION_MOCK",
    ],
    instead: "ccp decides itself which Claude Code probes it answers without a model",
  },
  {
    names: [
      "ENABLE_WEB_SERVER_TOOLS",
      "WEB_FETCH_ALLOWED_SCHEMES",
      "WEB_FETCH_ALLOW_PRIVATE_NETWORKS",
    ],
    instead: "web search and fetch are set in config.yaml (README: Web search and fetch)",
  },
  {
    names: ["PROVIDER_PROGRESS_TIMEOUT", "HTTP_WRITE_TIMEOUT"],
    instead: "HTTP_READ_TIMEOUT (the wait between chunks) and HTTP_CONNECT_TIMEOUT are read",
  },
  {
    names: ["FCC_ENV_FILE"],
    instead: "ccp reads .env in the working directory, beside its config file and in the config " +
      "dir",
  },
  {
    names: ["LOG_RAW_API_PAYLOADS", "LOG_RAW_SSE_EVENTS", "LOG_API_ERROR_TRACEBACKS"],
    instead: "ccp logs no request or answer bodies; --log-level debug logs each upstream attempt",
  },
];

/** One warning per group with a variable set: its names, then what to do instead. */
export function fccUnreadWarnings(env: EnvMap): string[] {
  const warnings: string[] = [];
  for (const group of GROUPS) {
    const set = group.names.filter((name) => envValue(env, name) !== undefined);
    if (set.length > 0) {
      warnings.push(
        `${set.join(", ")}: not read by ccp (free-claude-code settings); ${group.instead}`,
      );
    }
  }
  return warnings;
}
