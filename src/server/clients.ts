/**
 * Who is asking: the client whose token a request carries -- `default` for `server.auth_token`, or
 * a named client from `clients:` -- and which routes that client may use.
 */

import type { ClientConfig, ServerConfig } from "../config/types.ts";
import { ProxyError } from "../core/errors.ts";
import type { Resolution } from "../routing/resolve.ts";
import { constantTimeEqual, type Presented, splitToken } from "./auth.ts";

/** A recognised client and the token it presented. */
export interface Identity {
  readonly client: string;
  readonly token?: string;
  /** Its allow-list, when it has one. */
  readonly routes?: readonly string[];
}

/** Everyone who may connect when no token is configured. */
export const ANYONE: Identity = { client: "default" };

/** True when requests must carry a token: a server token or any named client. */
export function authRequired(server: ServerConfig): boolean {
  return server.authToken !== undefined || (server.clients?.length ?? 0) > 0;
}

/** Every accepted token with its client. */
function accepted(server: ServerConfig): ClientConfig[] {
  return [
    ...(server.authToken ? [{ name: "default", token: server.authToken }] : []),
    ...(server.clients ?? []),
  ];
}

/**
 * The client whose token the request's `credentials` carry, on a server that requires one (see
 * authRequired; without, every request is {@link ANYONE}'s); undefined when none matches. Every
 * credential is compared with every token (no early exit), so timing does not reveal which one
 * matched.
 */
export function identify(
  credentials: readonly Presented[],
  server: ServerConfig,
): Identity | undefined {
  return identifyTokens(credentials.map(({ credential }) => splitToken(credential).token), server);
}

/** The client whose token `token` is (the status page's `?token=`); undefined for none. */
export function identifyToken(token: string, server: ServerConfig): Identity | undefined {
  return authRequired(server) ? identifyTokens([token], server) : ANYONE;
}

function identifyTokens(given: readonly string[], server: ServerConfig): Identity | undefined {
  let found: ClientConfig | undefined;
  const tokens = accepted(server);
  for (const token of given) {
    for (const client of tokens) {
      if (constantTimeEqual(token, client.token) && found === undefined) found = client;
    }
  }
  if (!found) return undefined;
  return {
    client: found.name,
    token: found.token,
    ...(found.routes ? { routes: found.routes } : {}),
  };
}

/**
 * Whether `identity` may see every client's requests (the status page, `/metrics`, the usage
 * report, `/health`'s state). With an operator's token (`server.auth_token`) beside `clients:`,
 * only the operator may: a team's developers are not one another's. With no such token every
 * accepted token may, as there is no one else to give them to (`ccp check` says so).
 */
export function seesEveryClient(identity: Identity, server: ServerConfig): boolean {
  return identity.client === ANYONE.client || !server.authToken;
}

/** The 403 for a named client that asks for a view of every client's requests. */
export function everyClientRefusal(identity: Identity): ProxyError {
  return new ProxyError(
    "permission_error",
    `The status page (/ui), /metrics and /v1/ccp/usage show every client's requests: beside ` +
      `clients:, they take server.auth_token, not the token of client "${identity.client}"`,
    { status: 403 },
  );
}

// The names a resolution answers to in an allow-list.
function namesOf(resolution: Resolution): string[] {
  switch (resolution.rule) {
    case "provider":
    case "url_prefix":
    case "token_suffix":
      return ["explicit", ...(resolution.name ? [resolution.name] : [])];
    case "alias":
    case "subagent_tag":
      return resolution.name ? [resolution.name] : ["explicit"];
    default:
      return [resolution.route];
  }
}

/** Throws 403 when the client's allow-list does not include the route the request resolved to. */
export function checkRouteAllowed(identity: Identity, resolution: Resolution): void {
  const allowed = identity.routes;
  if (!allowed) return;
  const names = namesOf(resolution);
  if (names.some((name) => allowed.includes(name))) return;
  throw new ProxyError(
    "permission_error",
    `Client "${identity.client}" may use the routes ${allowed.join(", ")}; this request resolved ` +
      `to "${names[0]}"`,
    { status: 403 },
  );
}
