/** Builds `web_tools` from its parsed YAML section, reporting what a backend still needs. */

import type { Problems } from "./issues.ts";
import type { WebToolsSection } from "./schema/config.ts";
import type { WebToolsConfig } from "./types.ts";

/** Pages are cut after this many bytes unless `fetch.max_bytes` says otherwise. */
const DEFAULT_FETCH_MAX_BYTES = 5 * 1024 * 1024;
/** A page that takes longer than this is abandoned unless `fetch.timeout` says otherwise. */
const DEFAULT_FETCH_TIMEOUT_MS = 20_000;

/** The `web_tools` config, or undefined when the section is absent. */
export function buildWebTools(
  section: WebToolsSection | undefined,
  problems: Problems,
): WebToolsConfig | undefined {
  if (section === undefined) return undefined;
  const search = section.search;
  if (search) {
    const path = ["web_tools", "search"];
    if (search.provider === "searxng" && !search.base_url) {
      problems.add([...path, "base_url"], "missing: searxng needs the address of your instance");
    }
    if (search.provider !== "searxng" && !search.api_key) {
      problems.add([...path, "api_key"], `missing: ${search.provider} needs an API key`);
    }
    if (search.base_url && !/^https?:\/\//.test(search.base_url)) {
      problems.add([...path, "base_url"], `expected an http(s) URL, got "${search.base_url}"`);
    }
  }
  return {
    ...(search
      ? {
        search: {
          provider: search.provider,
          ...(search.base_url ? { baseUrl: search.base_url.replace(/\/+$/, "") } : {}),
          ...(search.api_key ? { apiKey: search.api_key } : {}),
        },
      }
      : {}),
    fetch: {
      allowPrivateNetworks: section.fetch?.allow_private_networks ?? false,
      maxBytes: section.fetch?.max_bytes ?? DEFAULT_FETCH_MAX_BYTES,
      timeoutMs: section.fetch?.timeout ?? DEFAULT_FETCH_TIMEOUT_MS,
    },
  };
}
