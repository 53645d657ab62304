/** One fetch per provider: the global fetch, or a client routed through the provider's HTTP proxy. */

import type { ProviderConfig } from "../../config/types.ts";

/** The fetch signature ccp calls upstreams with (injected so tests can substitute it). */
export type FetchLike = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

const proxied = new Map<string, Deno.HttpClient>();

/** Returns a fetch that honours `provider.proxy`, reusing one client (and its pool) per proxy URL. */
export function fetchFor(provider: ProviderConfig, base: FetchLike): FetchLike {
  if (!provider.proxy) return base;
  let client = proxied.get(provider.proxy);
  if (!client) {
    client = Deno.createHttpClient({ proxy: { url: provider.proxy } });
    proxied.set(provider.proxy, client);
  }
  const viaProxy = client;
  return (input, init) => base(input, { ...init, client: viaProxy } as RequestInit);
}
