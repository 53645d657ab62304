/** How `ccp code` finds and starts `claude`: PATH lookup, child environment, Windows quoting. */

import { PROXY_VARIABLES } from "../upstream/http/env_proxy.ts";

/** What a file on PATH is, as far as the lookup cares. */
export type FileKind = "executable" | "other" | "missing";

/** Classifies a path with Deno.stat (on POSIX a file needs an execute bit). */
async function fileKind(path: string): Promise<FileKind> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return "other";
    return info.mode === null || (info.mode & 0o111) !== 0 ? "executable" : "other";
  } catch {
    return "missing";
  }
}

/** Finds `name` on PATH like a shell does (with PATHEXT on Windows); undefined when absent. */
export async function findOnPath(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  os: typeof Deno.build.os,
  kind: (path: string) => Promise<FileKind> = fileKind,
): Promise<string | undefined> {
  const windows = os === "windows";
  const pathVar = env.PATH ?? env.Path ?? "";
  const dirs = pathVar.split(windows ? ";" : ":").filter((d) => d !== "");
  // On Windows only files with a PATHEXT extension can be started; npm installs claude.cmd.
  const exts = windows
    ? (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "")
    : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const sep = dir.endsWith("/") || dir.endsWith("\\") ? "" : windows ? "\\" : "/";
      const candidate = `${dir}${sep}${name}${ext.toLowerCase()}`;
      if (await kind(candidate) === "executable") return candidate;
    }
  }
  return undefined;
}

/**
 * The variables that make Claude Code talk to a cloud's endpoint (Bedrock, Vertex, ...) and ignore
 * ANTHROPIC_BASE_URL: left set, not one request would reach ccp.
 */
const CLOUD_SWITCHES = [
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_USE_VERTEX",
  "CLAUDE_CODE_USE_FOUNDRY",
  "CLAUDE_CODE_USE_ANTHROPIC_AWS",
  "CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD",
  "CLAUDE_CODE_USE_MANTLE",
] as const;

/** The cloud switches set in `env`. */
export function cloudSwitches(env: Readonly<Record<string, string | undefined>>): string[] {
  return CLOUD_SWITCHES.filter((name) => env[name]);
}

/** The line `ccp code` prints when it leaves a cloud switch of the user's shell out. */
export function cloudSwitchNote(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const set = cloudSwitches(env);
  if (set.length === 0) return undefined;
  return `ccp: ${set.join(", ")}: left out of claude's environment (with ${
    set.length === 1 ? "it" : "them"
  }, Claude Code would send its requests to that cloud instead of to ccp)`;
}

/**
 * The child's environment: this proxy's URL and token, no ANTHROPIC_API_KEY or cloud switch,
 * and not what `deno task start code` added for ccp itself.
 */
export function claudeEnv(
  env: Readonly<Record<string, string>>,
  baseUrl: string,
  token: string,
): Record<string, string> {
  // With ANTHROPIC_API_KEY set, Claude Code prefers it (or asks about it) over the token.
  const { ANTHROPIC_API_KEY: _dropped, ...rest }: Record<string, string> = env;
  for (const name of CLOUD_SWITCHES) delete rest[name];
  // deno task sets INIT_CWD and npm_config_user_agent (`deno/...`) for the task it runs, and only
  // where they are absent: left in claude's environment, every deno task claude runs would
  // inherit ccp's start directory as its own INIT_CWD.
  if (rest.npm_config_user_agent?.startsWith("deno/")) {
    delete rest.INIT_CWD;
    delete rest.npm_config_user_agent;
  }
  return {
    ...rest,
    ...directToCcp(rest, baseUrl),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_AUTH_TOKEN: token,
  };
}

/**
 * NO_PROXY (both spellings) with ccp's host added, when a proxy variable is set: Claude Code
 * sends even a 127.0.0.1 base URL through HTTP_PROXY unless NO_PROXY names it, and a proxy
 * elsewhere cannot reach ccp on this machine.
 */
function directToCcp(
  env: Readonly<Record<string, string>>,
  baseUrl: string,
): Record<string, string> {
  if (!PROXY_VARIABLES.some((name) => env[name])) return {};
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return {};
  }
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const entries = [env.NO_PROXY, env.no_proxy]
    .flatMap((value) => value?.split(",") ?? [])
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of bare === host ? [host] : [bare, host]) {
    if (!entries.includes(entry)) entries.push(entry);
  }
  const value = entries.join(",");
  return { NO_PROXY: value, no_proxy: value };
}

/** cmd.exe metacharacters, escaped with `^` (as cross-spawn does). */
const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/** Quotes one argument for a .cmd shim run by `cmd /d /s /c` (MSVCRT rules, then cmd's). */
export function escapeCmdArgument(arg: string): string {
  let quoted = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, "$1$1");
  quoted = `"${quoted}"`;
  // Twice: cmd parses the line once, then the npm shim's %* expands it and cmd parses it again.
  return quoted.replace(CMD_META, "^$1").replace(CMD_META, "^$1");
}

/** The program and arguments to spawn; `raw` means pass them to Windows unquoted. */
export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly raw: boolean;
}

/** Plain exec on POSIX and for .exe; npm's .cmd shims need `cmd /d /s /c` on Windows. */
export function spawnSpec(
  path: string,
  args: readonly string[],
  os: typeof Deno.build.os,
  comSpec = "cmd.exe",
): SpawnSpec {
  if (os !== "windows" || !/\.(cmd|bat)$/i.test(path)) return { command: path, args, raw: false };
  const line = [path.replace(CMD_META, "^$1"), ...args.map(escapeCmdArgument)].join(" ");
  return { command: comSpec, args: ["/d", "/s", "/c", `"${line}"`], raw: true };
}
