/**
 * Providers a route or alias sends requests to that need a key of ccp's and have none: every
 * such request would be refused upstream, so `ccp check` fails on them (start-up only warns, since
 * a chain's other targets may still serve).
 */

import { listed } from "../core/text.ts";
import { findPreset } from "../providers/catalog.ts";
import { missingKeyAdvice } from "./from_tree.ts";
import type { Config, ProviderConfig } from "./types.ts";

// Headers a provider entry may carry its credential in instead of `api_key`.
const CREDENTIAL_HEADER = /^(?:authorization|x-api-key|api-key|x-goog-api-key)$/i;

/**
 * True when requests to the provider go out without the key it needs: a hosted preset that sends
 * ccp's own key (not the client's, `auth: passthrough`), with no key, no `auth_header: none`, and
 * no credential in a header of its own or in its base URL (a gateway's `https://TOKEN@host`,
 * `?api-key=`). Local presets and providers without a preset may need none.
 */
function lacksNeededKey(provider: ProviderConfig): boolean {
  if (provider.auth !== "key" || provider.authHeader === "none") return false;
  if (provider.apiKeys.length > 0) return false;
  const preset = provider.preset === undefined ? undefined : findPreset(provider.preset);
  if (preset === undefined || preset.local) return false;
  if (Object.keys(provider.headers).some((name) => CREDENTIAL_HEADER.test(name))) return false;
  try {
    const url = new URL(provider.baseUrl);
    return url.username === "" && url.password === "" && url.search === "";
  } catch {
    return true;
  }
}

/**
 * One line per provider that lacks its key, naming the routes and aliases that need it, their
 * targets and what to set: `ccp.yaml: providers.nim: no API key, needed by route sonnet
 * (nim/glm-4.7): set NIM_KEY, which providers.nim.api_key reads`.
 */
export function missingKeyProblems(config: Config): string[] {
  const users = new Map<string, { names: string[]; targets: Set<string> }>();
  const sections = [["route", config.routes], ["alias", config.aliases]] as const;
  for (const [kind, chains] of sections) {
    for (const [name, chain] of Object.entries(chains)) {
      for (const target of chain) {
        const provider = config.providers[target.provider];
        if (!provider || !lacksNeededKey(provider)) continue;
        const entry = users.get(provider.id) ?? { names: [], targets: new Set<string>() };
        const user = `${kind} ${name}`;
        if (!entry.names.includes(user)) entry.names.push(user);
        entry.targets.add(`${target.provider}/${target.clientModel ? "*" : target.model}`);
        users.set(provider.id, entry);
      }
    }
  }
  return [...users].map(([id, { names, targets }]) => {
    const where = config.source.kind === "file"
      ? `${config.source.path}: providers.${id}`
      : `provider ${id}`;
    return `${where}: no API key, needed by ${listed(names)} (${[...targets].join(", ")}): ` +
      `set ${missingKeyAdvice(config.providers[id]!)}`;
  });
}
