/** Server settings: flags > CCP_* variables > (env-only mode: HOST/PORT/ANTHROPIC_AUTH_TOKEN) > file > defaults. */

import { ConfigError } from "../core/errors.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import type { LogFormat, LogLevel, ServerConfig } from "./types.ts";
import type { ServerSection } from "./schema/config.ts";
import { type EnvMap, envValue } from "./env/map.ts";
import { homeDir } from "./search.ts";
import { isAbsolutePath, joinPath, resolvePath } from "./paths.ts";

/** Command-line flags that override the config. */
export interface ServerFlags {
  readonly host?: string;
  readonly port?: number;
  readonly logLevel?: string;
  readonly authToken?: string;
  readonly dataDir?: string;
  readonly logFormat?: string;
  readonly logFile?: string;
  /** The user's home and working directories: where default and relative paths start. */
  readonly home?: string;
  readonly cwd?: string;
}

/** Built-in server defaults. */
const SERVER_DEFAULTS = {
  host: "127.0.0.1",
  port: 8082,
  logLevel: "info",
  maxBodyBytes: 32 * 1024 * 1024,
  clientTimeouts: { headersMs: 10_000, bodyMs: 60_000, idleMs: 75_000 },
  maxConnections: 1024,
  maxResponseBytes: 32 * 1024 * 1024,
} as const;

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The first defined value with the name of where it came from (for error messages). */
function pick(
  ...candidates: readonly [string, string | number | undefined][]
): [string, string | number] | undefined {
  for (const [origin, value] of candidates) {
    if (value !== undefined) return [origin, value];
  }
  return undefined;
}

// free-claude-code ships ANTHROPIC_AUTH_TOKEN="freecc" with PROXY_AUTH_ENABLED=false, where it
// checks no token; its boolean parser takes these words for false.
function fccAuthOff(value: string | undefined): boolean {
  return value !== undefined && ["false", "0", "no", "off", "f", "n"].includes(value.toLowerCase());
}

/** Merges the server settings; `envOnly` turns on free-claude-code's HOST, PORT and token variables. */
export function resolveServer(input: {
  flags: ServerFlags;
  env: EnvMap;
  file?: ServerSection;
  envOnly: boolean;
}): ServerConfig {
  const { flags, env, envOnly } = input;
  const file = input.file ?? {};
  const fcc = (name: string) => (envOnly ? envValue(env, name) : undefined);
  const problems: string[] = [];

  const host = flags.host?.trim() || envValue(env, "CCP_HOST") || fcc("HOST") ||
    file.host?.trim() ||
    SERVER_DEFAULTS.host;
  const port = portOf([
    ["--port", flags.port],
    ["CCP_PORT", envValue(env, "CCP_PORT")],
    ["PORT", fcc("PORT")],
    ["server.port", file.port],
  ], problems);
  const logLevel = logLevelOf([
    ["--log-level", flags.logLevel?.trim() || undefined],
    ["CCP_LOG_LEVEL", envValue(env, "CCP_LOG_LEVEL")],
    ["server.log_level", file.log_level],
  ], problems);
  const logFormat = logFormatOf([
    ["--log-format", flags.logFormat?.trim() || undefined],
    ["CCP_LOG_FORMAT", envValue(env, "CCP_LOG_FORMAT")],
    ["server.log_format", file.log_format],
  ], problems);
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));

  const home = homeDir(env, flags.home);
  const at = (written: string | undefined) => pathFrom(written, home, flags.cwd);
  const logFile = at(
    flags.logFile?.trim() || envValue(env, "CCP_LOG_FILE") || file.log_file?.trim(),
  );
  const dataDir = at(
    flags.dataDir?.trim() || envValue(env, "CCP_DATA_DIR") || file.data_dir?.trim() ||
      defaultDataDir(env, flags.home),
  );
  const authToken = authTokenOf(host, fcc, [
    ["the auth token flag", flags.authToken?.trim() || undefined],
    ["CCP_AUTH_TOKEN", envValue(env, "CCP_AUTH_TOKEN")],
    [
      "ANTHROPIC_AUTH_TOKEN",
      fccAuthOff(fcc("PROXY_AUTH_ENABLED")) ? undefined : fcc("ANTHROPIC_AUTH_TOKEN"),
    ],
    ["server.auth_token", file.auth_token?.trim() || undefined],
  ]);
  return {
    host,
    port,
    ...(authToken ? { authToken } : {}),
    maxBodyBytes: file.max_body_size ?? SERVER_DEFAULTS.maxBodyBytes,
    clientTimeouts: {
      headersMs: file.timeouts?.headers ?? SERVER_DEFAULTS.clientTimeouts.headersMs,
      bodyMs: file.timeouts?.body ?? SERVER_DEFAULTS.clientTimeouts.bodyMs,
      idleMs: file.timeouts?.idle ?? SERVER_DEFAULTS.clientTimeouts.idleMs,
    },
    maxConnections: file.max_connections ?? SERVER_DEFAULTS.maxConnections,
    connectionGuard: file.connection_guard ?? true,
    ...(file.watch_config === false ? { watchConfig: false } : {}),
    maxResponseBytes: file.max_response_size ?? SERVER_DEFAULTS.maxResponseBytes,
    logLevel,
    logFormat,
    ...(logFile ? { logFile } : {}),
    ...(dataDir ? { dataDir } : {}),
  };
}

/** Where a setting may be given, first place first: each place's name and its value there. */
type Candidates = readonly [string, string | number | undefined][];

/** The first port given, else the default; one that is no port number is a problem. */
function portOf(candidates: Candidates, problems: string[]): number {
  const picked = pick(...candidates);
  if (!picked) return SERVER_DEFAULTS.port;
  const [origin, raw] = picked;
  const n = typeof raw === "number" ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 65_535) return n;
  const shown = typeof raw === "string" ? JSON.stringify(raw) : String(raw);
  problems.push(`${origin}: expected a port number (0-65535), got ${shown}`);
  return SERVER_DEFAULTS.port;
}

/** The first log level given, else the default; an unknown one is a problem. */
function logLevelOf(candidates: Candidates, problems: string[]): LogLevel {
  const picked = pick(...candidates);
  if (!picked) return SERVER_DEFAULTS.logLevel;
  const [origin, raw] = picked;
  const level = LOG_LEVELS.find((l) => l === String(raw).toLowerCase());
  if (level) return level;
  problems.push(
    `${origin}: unknown log level ${JSON.stringify(raw)} (use debug, info, warn or error)`,
  );
  return SERVER_DEFAULTS.logLevel;
}

/** The first log format given, else text; an unknown one is a problem. */
function logFormatOf(candidates: Candidates, problems: string[]): LogFormat {
  const picked = pick(...candidates);
  if (!picked) return "text";
  const raw = String(picked[1]).toLowerCase();
  if (raw === "text" || raw === "json") return raw;
  problems.push(`${picked[0]}: unknown log format ${JSON.stringify(raw)} (use text or json)`);
  return "text";
}

/** A path as written in a setting, with `~/` read from `home` and a relative one from `cwd`. */
function pathFrom(
  written: string | undefined,
  home: string | undefined,
  cwd: string | undefined,
): string | undefined {
  // `~/...` as a shell would read it (a config file or .env is read by no shell); a path that
  // stayed relative would be a directory named "~" in the working directory.
  const path = written && home !== undefined && /^~(?:[\\/]|$)/.test(written)
    ? joinPath(home, written.slice(1))
    : written;
  return path && cwd !== undefined ? resolvePath(cwd, path) : path;
}

/**
 * The first auth token given (a blank one, e.g. `auth_token: ${CCP_AUTH_TOKEN:-}` with the
 * variable unset, means none); throws for a token no client could send, and for none on a host
 * other machines reach when free-claude-code's variables turned the token off.
 */
function authTokenOf(
  host: string,
  fcc: (name: string) => string | undefined,
  candidates: Candidates,
): string | undefined {
  const tokenPick = pick(...candidates);
  const authToken = tokenPick ? String(tokenPick[1]) : undefined;
  const fccOff = fccAuthOff(fcc("PROXY_AUTH_ENABLED")) && fcc("ANTHROPIC_AUTH_TOKEN") !== undefined;
  if (!authToken && fccOff && !isLoopbackHost(host)) {
    // The general refusal would point at ANTHROPIC_AUTH_TOKEN, which is set: say why it is off.
    throw new ConfigError(
      `PROXY_AUTH_ENABLED=false turns ANTHROPIC_AUTH_TOKEN off, and host ${host} is reachable ` +
        `from other machines, where ccp does not listen without a token: remove ` +
        `PROXY_AUTH_ENABLED=false (ANTHROPIC_AUTH_TOKEN is then ccp's token) or set HOST=127.0.0.1`,
    );
  }
  if (tokenPick && authToken?.includes(":")) {
    // Clients write `<token>:<provider>/<model>` to pick a model, so ccp compares only what comes
    // before the first ':' -- a token containing one could never match.
    throw new ConfigError(
      `${tokenPick[0]}: the auth token contains ':', which no client can send (ccp reads only ` +
        `the part before the first ':' as the token; the rest picks a model): choose a token ` +
        `without ':'`,
    );
  }
  return authToken;
}

/** `$XDG_DATA_HOME/ccp`, else `~/.local/share/ccp` (`%LOCALAPPDATA%\\ccp` on Windows). */
function defaultDataDir(env: EnvMap, home?: string): string | undefined {
  const xdg = envValue(env, "XDG_DATA_HOME");
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg !== undefined && isAbsolutePath(xdg)) return joinPath(xdg, "ccp");
  const local = envValue(env, "LOCALAPPDATA");
  if (local !== undefined && envValue(env, "HOME") === undefined) return joinPath(local, "ccp");
  const base = homeDir(env, home);
  return base === undefined ? undefined : joinPath(base, ".local", "share", "ccp");
}
