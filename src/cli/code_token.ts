/** The token `ccp code` gives Claude Code, in a module of its own for `ccp statusline`. */

import type { Config } from "../config/types.ts";

/**
 * The token `ccp code` gives Claude Code: `server.auth_token`, else the first client allowed every
 * route (Claude Code asks for several: its main model, haiku for side tasks, subagents), else the
 * first client.
 */
export function codeToken(server: Config["server"]): string | undefined {
  const clients = server.clients ?? [];
  return server.authToken ?? (clients.find((c) => c.routes === undefined) ?? clients[0])?.token;
}
