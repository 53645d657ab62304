/**
 * The proxy the environment names for a URL (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, and
 * their lower-case forms), decided by ccp rather than by Deno's fetch. Deno's own reading sends
 * loopback through the proxy unless NO_PROXY names it, applies NO_PROXY even to a client's own
 * proxy, and ignores `*.domain`, `host:port` and upper-case entries; a local model server behind a
 * corporate proxy then answers through a proxy that cannot reach it. Here loopback never takes an
 * environment proxy, and NO_PROXY reads as curl and most clients read it.
 */

import { isLoopbackHost } from "../../core/loopback.ts";
import { parseIpv4, parseIpv6 } from "../../core/ip_address.ts";

/** The proxy variables and NO_PROXY as found, in the order a name is looked up. */
export interface EnvironmentProxies {
  /** Variable name -> proxy URL, for http and https targets. */
  readonly http?: { readonly variable: string; readonly url: string };
  readonly https?: { readonly variable: string; readonly url: string };
  readonly noProxy: readonly string[];
}

/** An environment proxy chosen for a URL: where it goes and which variable said so. */
export interface EnvironmentProxy {
  readonly url: string;
  readonly variable: string;
}

/** Every variable Deno's fetch reads a proxy or its exceptions from. */
export const PROXY_VARIABLES: readonly string[] = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "ALL_PROXY",
  "all_proxy",
];
export const NO_PROXY_VARIABLES: readonly string[] = ["NO_PROXY", "no_proxy"];

/**
 * Reads the variables through `get` (an unset or empty variable counts as absent), each setting
 * the process environment leaves unset taken from `dotenv`: the proxy variables of ccp's `.env`
 * files, which Deno's fetch never sees. Its proxies are named `HTTPS_PROXY in .env`, ....
 */
export function readEnvironmentProxies(
  get: (name: string) => string | undefined,
  dotenv: Readonly<Record<string, string>> = {},
): EnvironmentProxies {
  const own = readProxies(get);
  const file = readProxies((name) => dotenv[name]);
  const inFile = (p: EnvironmentProxies["http"]) =>
    p && { variable: `${p.variable} in .env`, url: p.url };
  // The process environment wins per setting, whatever case either spells a variable in.
  const http = own.http ?? inFile(file.http);
  const https = own.https ?? inFile(file.https);
  const noProxy = own.noProxy.length > 0 ? own.noProxy : file.noProxy;
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy };
}

function readProxies(get: (name: string) => string | undefined): EnvironmentProxies {
  const first = (...names: string[]) => {
    for (const name of names) {
      const value = get(name)?.trim();
      if (value) return { variable: name, url: withScheme(value) };
    }
    return undefined;
  };
  const http = first("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy");
  const https = first("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy");
  const noProxy = (get("NO_PROXY") || get("no_proxy") || "")
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy };
}

/** Deno (like curl) takes `host:port` as an http:// proxy. */
function withScheme(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/** The environment's proxy for `url`, or undefined when fetch should connect directly. */
export function environmentProxyFor(
  url: string,
  env: EnvironmentProxies,
): EnvironmentProxy | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const proxy = target.protocol === "https:"
    ? env.https
    : target.protocol === "http:"
    ? env.http
    : undefined;
  if (!proxy) return undefined;
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase().replace(/\.$/, "");
  // A proxy elsewhere cannot reach this machine's loopback: going through it only fails.
  if (isLoopbackHost(host) || host.endsWith(".localhost")) return undefined;
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  if (env.noProxy.some((entry) => bypasses(entry, host, port))) return undefined;
  return proxy;
}

/** Whether one NO_PROXY entry covers `host` (lower-case, unbracketed) on `port`. */
function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === "*") return true;
  let name = entry;
  // `[::1]:8080`, `[fd00::]/8`, `host:8080`: an entry with a port covers that port only.
  const bracketed = /^\[([^\]]+)\](\/\d+)?(?::(\d+))?$/.exec(name);
  if (bracketed) {
    if (bracketed[3] !== undefined && bracketed[3] !== port) return false;
    name = bracketed[1]! + (bracketed[2] ?? "");
  } else {
    const withPort = /^([^:]+):(\d+)$/.exec(name);
    if (withPort) {
      if (withPort[2] !== port) return false;
      name = withPort[1]!;
    }
  }
  // Host names have no colon: one left is an IPv6 address, and a slash makes any address a range.
  if (name.includes(":") || name.includes("/")) return inRange(host, name);
  name = name.replace(/^\*?\./, "").replace(/\.$/, "");
  if (name === "") return false;
  return host === name || host.endsWith(`.${name}`);
}

/**
 * Whether the address `host` lies in `range`: an IPv4 or IPv6 address alone (compared as an
 * address, so `fd00:0::1` covers `fd00::1`) or with `/bits` (`10.0.0.0/8`, `fd00::/8`). A name, or
 * an address of the other family, never matches.
 */
function inRange(host: string, range: string): boolean {
  const [base = "", bitsText, ...extra] = range.split("/");
  if (extra.length > 0) return false;
  const v4 = parseIpv4(base);
  const network = v4 ?? parseIpv6(base);
  const address = v4 ? parseIpv4(host) : parseIpv6(host);
  if (!network || !address) return false;
  const groupBits = v4 ? 8 : 16;
  const width = network.length * groupBits;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return false;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (bits > width) return false;
  for (let i = 0, left = bits; left > 0; i++, left -= groupBits) {
    const take = Math.min(groupBits, left);
    const mask = ((1 << take) - 1) << (groupBits - take);
    if ((address[i]! & mask) !== (network[i]! & mask)) return false;
  }
  return true;
}
