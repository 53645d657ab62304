/**
 * `ccp code` beside a ccp that is already running uses that one, with that one's config and
 * token. One question to it, before claude starts, tells both what could go wrong: a ccp started
 * elsewhere with another token would refuse every request (and Claude Code can only say "Not
 * logged in · Please run /login"), and a `MODEL=... ccp code` typed while `ccp` runs in another
 * terminal would silently get the other ccp's routes. When the two disagree on the default
 * route, one line says so. Its `/health`, asked at the same time, names the providers it has no
 * key for: one this ccp has a key for is named too (`NVIDIA_NIM_API_KEY=... ccp code`).
 */

import type { Config } from "../config/types.ts";
import { formatChain } from "../routing/target_text.ts";
import { environmentFetch } from "../upstream/http/clients.ts";

/** How long to wait for a running ccp to answer. */
const ASK_MS = 900;

/** What a running ccp answered `ccp code`'s question. */
export interface RunningCcp {
  /** It refused the token: only a 401 says so, anything else is left for claude to meet. */
  readonly refused: boolean;
  /** Its default route, as its `GET /v1/models/default` names it; undefined when unsaid. */
  readonly defaultRoute?: string;
  /** The providers it has no API key for, as its `GET /health` lists their keys. */
  readonly keyless?: readonly string[];
}

/**
 * Asks the ccp at `url`, with `token`, for its default route (`GET /v1/models/default`, which
 * needs the token when that ccp has one). A timeout or a failure says nothing either way.
 */
export async function askRunning(
  url: string,
  token: string,
  timeoutMs = ASK_MS,
): Promise<RunningCcp> {
  // Asked together, so a ccp that does not answer costs one wait, not two.
  const [route, keyless] = await Promise.all([
    askDefault(url, token, timeoutMs),
    askKeyless(url, token, timeoutMs),
  ]);
  return keyless.length > 0 && !route.refused ? { ...route, keyless } : route;
}

async function askDefault(url: string, token: string, timeoutMs: number): Promise<RunningCcp> {
  try {
    const response = await environmentFetch()(`${url}/v1/models/default`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { refused: response.status === 401 };
    }
    const body = await response.json() as { display_name?: unknown };
    const name = typeof body.display_name === "string" ? body.display_name : "";
    const route = /^default \((.*)\)$/.exec(name)?.[1];
    return route === undefined ? { refused: false } : { refused: false, defaultRoute: route };
  } catch {
    return { refused: false };
  }
}

/**
 * The providers the running ccp has no API key for (`no_key` in the state `GET /health` shows the
 * token's holder); none when it shows no state or does not answer.
 */
async function askKeyless(url: string, token: string, timeoutMs: number): Promise<string[]> {
  try {
    const response = await environmentFetch()(`${url}/health`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return [];
    }
    const body = await response.json() as { no_key?: unknown };
    return Array.isArray(body.no_key)
      ? body.no_key.filter((id): id is string => typeof id === "string")
      : [];
  } catch {
    return [];
  }
}

/**
 * A warning when the running ccp has no key for a provider this config has one for: the
 * quick start's `NVIDIA_NIM_API_KEY=... ccp code`, typed while a ccp started without the key
 * runs in another terminal, would otherwise be refused with "set NVIDIA_NIM_API_KEY", which the
 * user just did.
 */
export function keylessNote(
  url: string,
  keyless: readonly string[] | undefined,
  config: Config,
): string | undefined {
  const missing = (keyless ?? []).filter((id) =>
    config.providers[id]?.apiKeys.some((key) => key !== "")
  );
  if (missing.length === 0) return undefined;
  return `ccp: warning: the proxy already running at ${url} has no API key for ` +
    `${missing.join(", ")}, which this ccp has: it uses its own keys, so those requests are ` +
    "refused. Stop it (or restart it with the key), or give this one another port: ccp code " +
    "--port 8090";
}

/** A warning when the running ccp's default route (`theirs`) is not this config's; else undefined. */
export function elsewhereNote(
  url: string,
  theirs: string | undefined,
  config: Config,
): string | undefined {
  // Without a config of its own (no file, no MODEL), the running ccp is the one meant: a
  // developer using the team's shared ccp, whose default is no choice to stop it for.
  if (config.source.kind === "default") return undefined;
  const own = formatChain(config.routes.default ?? []);
  if (own === "" || theirs === undefined || theirs === own) return undefined;
  return `ccp: warning: the proxy already running at ${url} has its own config: its default ` +
    `route goes to ${theirs}, not to ${own} as here. Stop it (or restart it with this ` +
    "config), or give this one another port: ccp code --port 8090";
}
