/**
 * Where what ccp learns of an upstream is kept: under the server a provider's requests go to (its
 * `type` and `base_url`), not under the provider's name. What a server refuses (a parameter, a
 * beta, the thinking another server made) and the window it runs a model with are its own: a
 * reload that renames the provider keeps them, and one that points the name at another server
 * leaves them behind with the server they came from.
 */

import { fnv1a64Hex } from "../translate/anthropic/ids.ts";

/** What decides which server a provider's requests reach. */
export interface UpstreamServer {
  readonly type: string;
  readonly baseUrl: string;
}

/** The key lessons about `provider`'s server are kept under. */
export function serverKey(provider: UpstreamServer): string {
  return `${provider.type} ${provider.baseUrl}`;
}

/**
 * A short tag of `provider`'s server, for what goes to the client and back (a reasoning
 * signature): a hash, as a base URL may carry a credential.
 */
export function serverTag(provider: UpstreamServer): string {
  return fnv1a64Hex(serverKey(provider)).slice(0, 12);
}
