/** `ccp check`'s line on proxies from the environment: which providers go through them. */

import type { Config } from "../config/types.ts";
import { routeFor } from "../upstream/http/clients.ts";
import { readEnvironmentProxies } from "../upstream/http/env_proxy.ts";
import { proxyName } from "../upstream/errors.ts";

/** The lines, or none when no proxy variable is set in `env` or in the config's `.env` files. */
export function proxyLines(config: Config, env: Readonly<Record<string, string>>): string[] {
  const proxies = readEnvironmentProxies((name) => env[name], config.dotenvProxies);
  const named = [proxies.https, proxies.http].filter((p) => p !== undefined);
  if (named.length === 0) return [];
  const seen = new Set<string>();
  const sources = named
    .map((p) => proxyName(p.url, p.variable).replace(/^proxy /, ""))
    .filter((text) => !seen.has(text) && seen.add(text));
  const through: string[] = [];
  const direct: string[] = [];
  const own: string[] = [];
  for (const provider of Object.values(config.providers)) {
    if (provider.implicit) continue;
    const route = routeFor(provider, provider.baseUrl, proxies);
    if (route.from === "proxy") own.push(provider.id);
    else if (route.proxy) through.push(provider.id);
    else direct.push(provider.id);
  }
  const noProxy = proxies.noProxy.length > 0 ? `; NO_PROXY ${proxies.noProxy.join(",")}` : "";
  const groups = [
    through.length > 0 ? `through it: ${through.join(", ")}` : "",
    direct.length > 0 ? `directly (loopback, local preset or NO_PROXY): ${direct.join(", ")}` : "",
    own.length > 0 ? `own proxy: ${own.join(", ")}` : "",
  ].filter((group) => group !== "");
  return [
    `Proxy from the environment: ${sources.join(", ")}${noProxy}`,
    ...(groups.length > 0 ? [`  ${groups.join("; ")}`] : []),
  ];
}
