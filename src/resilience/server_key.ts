/**
 * Where what ccp learns of an upstream is kept: under the server a provider's requests go to (its
 * `type`, its `base_url`, and the extra headers it sends), not under the provider's name. What a
 * server refuses (a parameter, a beta, the thinking another server made) and the window it runs a
 * model with are its own: a reload that renames the provider keeps them, and one that points the
 * name at another server leaves them behind with the server they came from.
 */

import { namesCredential } from "../core/secrets.ts";
import { fnv1a64Hex } from "../translate/anthropic/ids.ts";

/** What decides which server a provider's requests reach. */
export interface UpstreamServer {
  readonly type: string;
  readonly baseUrl: string;
  /**
   * The provider's extra headers: a gateway may route by one (Portkey's `x-portkey-provider`, a
   * virtual key), so two providers at one base URL with other headers may reach other servers.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The address `baseUrl` names, written one way: its host in small letters and without the
 * scheme's default port (both are ways of writing, not other servers), without a user name or
 * password or a credential in the query (`?key=`: an account at the server, and rotated, not
 * another server) and without a final slash. The path is kept as written (`/v1` and `/V1` may be
 * other APIs), and so is the rest of the query (`?api-version=` may change what the server takes)
 * unless `query` is false.
 */
export function serverAddress(baseUrl: string, query = true): string {
  if (!URL.canParse(baseUrl)) return baseUrl;
  const url = new URL(baseUrl);
  const path = url.origin + url.pathname.replace(/\/+$/, "");
  if (!query || url.search === "") return path;
  for (const name of [...url.searchParams.keys()]) {
    if (namesCredential(name)) url.searchParams.delete(name);
  }
  return path + url.search;
}

/**
 * `baseUrl` as written, save for what only writes the same thing another way: the host in small
 * letters, no default port, no final slash. Unlike {@link serverAddress}, its credentials stay:
 * a password or `?key=` changed is another account, whose keys start without the old one's
 * set-asides (a 401 the fix answers).
 */
export function sameUrl(baseUrl: string): string {
  if (!URL.canParse(baseUrl)) return baseUrl;
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url.href;
}

/** The key lessons about `provider`'s server are kept under. */
export function serverKey(provider: UpstreamServer): string {
  let key = keys.get(provider);
  if (key !== undefined) return key;
  key = `${provider.type} ${serverAddress(provider.baseUrl)}`;
  const headers = Object.entries(provider.headers ?? {});
  if (headers.length > 0) {
    // Header names are not case sensitive; their order says nothing.
    const named = headers.map(([name, value]) => [name.toLowerCase(), value]).sort();
    key += ` ${JSON.stringify(named)}`;
  }
  keys.set(provider, key);
  return key;
}

// Per provider config (frozen; a reload makes new ones): asked several times a request.
const keys = new WeakMap<UpstreamServer, string>();

/**
 * A short tag of `provider`'s server, for what goes to the client and back (a reasoning
 * signature). Made of nothing secret: a hash of a short credential (a password in the base URL,
 * a `?key=`) could be reversed by trying every one, so the address is taken without its user,
 * password and query; and a key rotated there leaves the tag as it was.
 */
export function serverTag(provider: UpstreamServer): string {
  return fnv1a64Hex(`${provider.type} ${serverAddress(provider.baseUrl, false)}`).slice(0, 12);
}
