/**
 * Whether `ccp code` lets Claude Code keep its own Claude plan login (for `auth: passthrough`
 * providers) instead of giving it ccp's token as ANTHROPIC_AUTH_TOKEN, which replaces the login.
 *
 * Only where a login is known to exist: without one, Claude Code with no token would ask the
 * user to log in instead of starting. Looked at, never read out: ccp checks that a login is there
 * and keeps nothing of it.
 */

import type { Config } from "../config/types.ts";
import { joinPath, resolvePath } from "../config/paths.ts";
import { homeDir } from "../config/search.ts";

/** Where a login was found, in words for the user; undefined when none was. */
export type LoginPlace = string | undefined;

/** Where Claude Code runs: its OS, the home directory, the directory it starts in. */
export interface ClaudeSite {
  readonly os: typeof Deno.build.os;
  readonly home?: string;
  readonly cwd?: string;
}

/** Reads a file's text; undefined when it cannot. */
export type ReadText = (path: string) => Promise<string | undefined>;

const readText: ReadText = (path) => Deno.readTextFile(path).catch(() => undefined);

function parsed(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return typeof value === "object" && value !== null
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where Claude Code keeps a plan login it would use: `CLAUDE_CODE_OAUTH_TOKEN` (from
 * `claude setup-token`), or the OAuth login in its credentials file (`.credentials.json` in
 * `$CLAUDE_CONFIG_DIR`, else `~/.claude`). On macOS the login lives in the Keychain, which ccp
 * does not open (that would ask the user's leave and hand ccp the token): there the account
 * `claude /login` records in Claude Code's settings (`oauthAccount` in `.claude.json`) stands
 * for it.
 */
export async function claudeLogin(
  env: Readonly<Record<string, string>>,
  where: ClaudeSite,
  read: ReadText = readText,
): Promise<LoginPlace> {
  if ((env.CLAUDE_CODE_OAUTH_TOKEN ?? "") !== "") return "CLAUDE_CODE_OAUTH_TOKEN";
  const base = homeDir(env, where.home);
  // Claude Code runs where the user started ccp, and reads a relative directory from there.
  const ownDir = env.CLAUDE_CONFIG_DIR
    ? (where.cwd ? resolvePath(where.cwd, env.CLAUDE_CONFIG_DIR) : env.CLAUDE_CONFIG_DIR)
    : undefined;
  const configDir = ownDir || (base && joinPath(base, ".claude"));
  if (!configDir) return undefined;
  const credentialsFile = joinPath(configDir, ".credentials.json");
  if (usableLogin(parsed(await read(credentialsFile))?.claudeAiOauth)) return credentialsFile;
  if (where.os !== "darwin") return undefined;
  const settings = ownDir
    ? joinPath(ownDir, ".claude.json")
    : base && joinPath(base, ".claude.json");
  if (!settings) return undefined;
  const account = parsed(await read(settings))?.oauthAccount;
  return typeof account === "object" && account !== null ? "the macOS Keychain" : undefined;
}

/**
 * Whether Claude Code would send this stored login to the Messages API: a token (Claude Code
 * empties it when the login ended) whose scopes include inference. Without that scope Claude Code
 * does not use the token for requests, and with no ANTHROPIC_AUTH_TOKEN it says "Not logged in".
 */
function usableLogin(oauth: unknown): boolean {
  if (typeof oauth !== "object" || oauth === null) return false;
  const { accessToken, scopes } = oauth as Record<string, unknown>;
  return typeof accessToken === "string" && accessToken !== "" && Array.isArray(scopes) &&
    scopes.includes("user:inference");
}

/** Whether a provider of the config sends upstream the client's own credentials. */
export function usesPassthrough(config: Config): boolean {
  return Object.values(config.providers).some((p) => p.auth === "passthrough");
}

/**
 * Claude Code's environment when it keeps its login: no ANTHROPIC_AUTH_TOKEN (it would replace
 * the login), and ccp's token, when ccp has one, as `x-api-key` in ANTHROPIC_CUSTOM_HEADERS
 * beside the user's own custom headers (ccp consumes it; the login goes on to the plan).
 */
export function keepLogin(
  env: Readonly<Record<string, string>>,
  token: string | undefined,
): Record<string, string> {
  const { ANTHROPIC_AUTH_TOKEN: _replaced, ...rest }: Record<string, string> = env;
  if (token === undefined) return rest;
  // One `Name: value` per line; a user's own x-api-key would hide ccp's token from ccp.
  const lines = (rest.ANTHROPIC_CUSTOM_HEADERS ?? "").split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !/^\s*x-api-key\s*:/i.test(line));
  return { ...rest, ANTHROPIC_CUSTOM_HEADERS: [...lines, `x-api-key: ${token}`].join("\n") };
}
