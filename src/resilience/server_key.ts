/**
 * Where what ccp learns of an upstream is kept: under the server a provider's requests go to (its
 * `type` and `base_url`), not under the provider's name. What a server refuses (a parameter, a
 * beta, the thinking another server made) and the window it runs a model with are its own: a
 * reload that renames the provider keeps them, and one that points the name at another server
 * leaves them behind with the server they came from.
 */

/** What decides which server a provider's requests reach. */
export interface UpstreamServer {
  readonly type: string;
  readonly baseUrl: string;
}

/** The key lessons about `provider`'s server are kept under. */
export function serverKey(provider: UpstreamServer): string {
  return `${provider.type} ${provider.baseUrl}`;
}
