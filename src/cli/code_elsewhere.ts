/**
 * `ccp code` beside a ccp that is already running uses that one, with that one's config: a
 * `MODEL=… ccp code` typed while `ccp` runs in another terminal would silently get the other
 * ccp's routes. When the two disagree on the default route, one line says so.
 */

import type { Config } from "../config/types.ts";
import { formatChain } from "../routing/resolve.ts";
import { environmentFetch } from "../upstream/http/clients.ts";

const ASK_MS = 900;

/** The running ccp's default route, as its `GET /v1/models/default` names it; undefined if unsaid. */
async function runningDefault(url: string, token: string): Promise<string | undefined> {
  try {
    const response = await environmentFetch()(`${url}/v1/models/default`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(ASK_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = await response.json() as { display_name?: unknown };
    const name = typeof body.display_name === "string" ? body.display_name : "";
    return /^default \((.*)\)$/.exec(name)?.[1];
  } catch {
    return undefined;
  }
}

/** A warning when the running ccp's default route is not this config's; else undefined. */
export async function elsewhereNote(
  url: string,
  token: string,
  config: Config,
): Promise<string | undefined> {
  const own = formatChain(config.routes.default ?? []);
  if (own === "") return undefined;
  const theirs = await runningDefault(url, token);
  if (theirs === undefined || theirs === own) return undefined;
  return `ccp: warning: the proxy already running at ${url} has its own config: its default ` +
    `route goes to ${theirs}, not to ${own} as here. Stop it (or restart it with this ` +
    "config), or give this one another port: ccp code --port 8090";
}
