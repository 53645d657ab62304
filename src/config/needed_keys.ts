/**
 * Providers a request can reach that need a key of ccp's and have none: every such request would
 * be refused upstream, so `ccp check` fails on them (start-up only warns, since a chain's other
 * targets may still serve). A request reaches a provider through a route or alias, and also by
 * naming it: `provider/model` (or `provider,model`) as its model, in a URL prefix, after the
 * token or in a subagent tag, whether or not a route uses it.
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
 * What to set for a hosted preset at its own address that has no key of ccp's (the words `ccp
 * check` uses), which ccp therefore never sends a request; undefined otherwise. A base URL of the
 * user's own (a gateway that adds the key itself, a server of their own behind the preset's
 * dialect) may take a request without a key: it is sent, and a 401 from it says what to set.
 */
export function neededKeyMissing(provider: ProviderConfig): string | undefined {
  if (!lacksNeededKey(provider)) return undefined;
  const own = findPreset(provider.preset!)?.baseUrl.replace(/\/+$/, "");
  return own && provider.baseUrl.replace(/\/+$/, "") === own
    ? missingKeyAdvice(provider)
    : undefined;
}

/**
 * Whether some client may choose a provider by name (`explicit` choices): anyone without tokens,
 * `server.auth_token`, and a named client without a `routes` list or with `explicit` in it.
 */
function namedChoicesAllowed(config: Config): boolean {
  const { authToken, clients = [] } = config.server;
  if (authToken !== undefined || clients.length === 0) return true;
  return clients.some((client) => !client.routes || client.routes.includes("explicit"));
}

/**
 * One line per provider that lacks its key, naming the routes and aliases that need it, their
 * targets and what to set: `ccp.yaml: providers.nim: no API key, needed by route sonnet
 * (nim/glm-4.7): set NIM_KEY, which providers.nim.api_key reads`. A provider no route or alias
 * uses is named by the requests that can reach it: `needed by requests that name it (nim/...)`.
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
  if (namedChoicesAllowed(config)) {
    for (const provider of Object.values(config.providers)) {
      if (users.has(provider.id) || !lacksNeededKey(provider)) continue;
      users.set(provider.id, {
        names: ["requests that name it"],
        targets: new Set([`${provider.id}/\u2026`]),
      });
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
