/**
 * Which way each upstream request goes: through the provider's own `proxy`, through the proxy the
 * environment names for its URL (env_proxy.ts), or directly; and one fetch client per way.
 *
 * Deno's fetch reads the proxy variables itself, when a client is made, and has no option for a
 * client that ignores them. So while any is set, ccp makes every client itself with the variables
 * it must not see hidden for that moment: the direct client without the proxy variables, and a
 * proxied one without NO_PROXY (ccp has applied it already; a provider's own `proxy` is the
 * user's word for that provider and is used whatever NO_PROXY says).
 */

import type { ProviderConfig } from "../../config/types.ts";
import { findPreset } from "../../providers/catalog.ts";
import {
  type EnvironmentProxies,
  environmentProxyFor,
  NO_PROXY_VARIABLES,
  PROXY_VARIABLES,
  readEnvironmentProxies,
} from "./env_proxy.ts";

/** The fetch signature ccp calls upstreams with (injected so tests can substitute it). */
export type FetchLike = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/** How a request reaches its URL: the proxy (and who named it), or none for directly. */
export interface Route {
  readonly proxy?: string;
  /** `proxy` for a provider's own, else the environment variable (`HTTPS_PROXY`, ...). */
  readonly from?: string;
}

let environment: EnvironmentProxies | undefined;
let dotenvProxies: Readonly<Record<string, string>> = {};

function currentEnvironment(): EnvironmentProxies {
  return environment ??= readEnvironmentProxies((name) => {
    try {
      return Deno.env.get(name);
    } catch {
      // Not allowed to read it: fetch cannot either.
      return undefined;
    }
  }, dotenvProxies);
}

/**
 * Takes the proxy variables of ccp's `.env` files (as the config last loaded found them) into
 * account from now on, under the process environment's.
 */
export function useDotenvProxies(values: Readonly<Record<string, string>> | undefined): void {
  dotenvProxies = values ?? {};
  environment = undefined;
}

/** Whether any proxy variable is set: otherwise Deno's fetch connects directly already. */
function environmentHasProxy(env: EnvironmentProxies): boolean {
  return env.http !== undefined || env.https !== undefined;
}

/** Whether a provider is a model server on this machine or network by its preset (ollama, ...). */
function isLocalPreset(provider: ProviderConfig): boolean {
  return provider.preset !== undefined && findPreset(provider.preset)?.local === true;
}

/** The way a request of `provider` to `url` goes. */
export function routeFor(
  provider: ProviderConfig | undefined,
  url: string,
  env: EnvironmentProxies = currentEnvironment(),
): Route {
  if (provider?.proxy) return { proxy: provider.proxy, from: "proxy" };
  // Without proxy variables, as on most machines, nothing more to look at on each request.
  if (!environmentHasProxy(env)) return {};
  // A local preset's server is reached where it runs, as ollama's own clients do.
  if (provider && isLocalPreset(provider)) return {};
  const found = environmentProxyFor(url, env);
  return found ? { proxy: found.url, from: found.variable } : {};
}

const clients = new Map<string, Deno.HttpClient>();

/** The client for `route`, or undefined when the runtime's default client takes that way. */
function clientFor(route: Route): Deno.HttpClient | undefined {
  const env = currentEnvironment();
  if (!route.proxy && !environmentHasProxy(env)) return undefined;
  const key = route.proxy ?? "";
  let client = clients.get(key);
  if (!client) {
    client = route.proxy
      ? withHidden(
        NO_PROXY_VARIABLES,
        () => Deno.createHttpClient({ proxy: { url: route.proxy! } }),
      )
      : withHidden(PROXY_VARIABLES, () => Deno.createHttpClient({}));
    clients.set(key, client);
  }
  return client;
}

/**
 * Runs `make` with `names` unset in the process environment, and sets them back before
 * returning. Nothing else runs in between (it is synchronous), and Deno reads the variables
 * only while a client is made.
 */
function withHidden<T>(names: readonly string[], make: () => T): T {
  const saved: Array<[string, string]> = [];
  try {
    for (const name of names) {
      const value = Deno.env.get(name);
      if (value === undefined) continue;
      saved.push([name, value]);
      Deno.env.delete(name);
    }
  } catch {
    // Not allowed to change the environment: the client takes what Deno reads.
  }
  try {
    return make();
  } finally {
    for (const [name, value] of saved) Deno.env.set(name, value);
  }
}

/** `base` with each request sent the way {@link routeFor} says. */
function routed(provider: ProviderConfig | undefined, base: FetchLike): FetchLike {
  return (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const client = clientFor(routeFor(provider, url));
    return client ? base(input, { ...init, client } as RequestInit) : base(input, init);
  };
}

/** Returns a fetch that honours `provider.proxy`, and the environment's proxies as ccp reads them. */
export function fetchFor(provider: ProviderConfig, base: FetchLike): FetchLike {
  if (!provider.proxy && !environmentHasProxy(currentEnvironment())) return base;
  return routed(provider, base);
}

/**
 * A fetch for anything that is not a provider's (web tools, ccp asking itself at 127.0.0.1):
 * loopback directly, the rest as the environment's proxies say.
 */
export function environmentFetch(base: FetchLike = fetch): FetchLike {
  return (input, init) => routed(undefined, base)(input, init);
}
