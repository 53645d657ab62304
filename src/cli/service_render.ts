/** Pure parts of `ccp service`: the command line, the systemd unit and the launchd plist. */

import { envValue } from "../config/env/map.ts";
import { dirnamePath, isAbsolutePath, joinPath, resolvePath } from "../config/paths.ts";
import type { CliFlags } from "./args.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "./permissions.ts";

/** The systemd user unit's file name. */
export const SERVICE_NAME = "ccp.service";
/** The launchd job label (also the plist file name without `.plist`). */
export const LAUNCHD_LABEL = "dev.ccp";

/** What the service runs, where, and with which extra environment. */
export interface ServiceSpec {
  readonly program: readonly string[];
  readonly workingDirectory: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Directories named by flags that the service writes (data dir, log file's dir). */
  readonly writable?: readonly string[];
}

/** Inputs of {@link serviceSpec}, all taken from the running process. */
export interface SpecInput {
  readonly execPath: string;
  readonly mainModule: string;
  readonly standalone: boolean;
  readonly flags: CliFlags;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Where the service works and finds its config (also when the flags name none). */
  readonly configDir?: string;
  /** A system-wide service: its config in /etc/ccp. */
  readonly system?: boolean;
}

/** A file: URL as a POSIX path. */
export function fileUrlToPath(url: string): string {
  return decodeURIComponent(new URL(url).pathname);
}

/** The config file, data dir and log file the service is told about. */
export interface ServicePaths {
  readonly config: string | undefined;
  readonly dataDir: string | undefined;
  readonly logFile: string | undefined;
}

/** The service's paths from the flags and the environment, made absolute. */
export function servicePaths(
  flags: CliFlags,
  env: Readonly<Record<string, string>>,
  cwd: string,
): ServicePaths {
  const config = flags.config ?? envValue(env, "CCP_CONFIG");
  const dataDir = flags.dataDir ?? envValue(env, "CCP_DATA_DIR");
  return {
    config: config === undefined ? undefined : resolvePath(cwd, config),
    dataDir: dataDir === undefined ? undefined : resolvePath(cwd, dataDir),
    logFile: flags.logFile === undefined ? undefined : resolvePath(cwd, flags.logFile),
  };
}

/**
 * The `serve` flags for the service; relative paths become absolute, and CCP_CONFIG and
 * CCP_DATA_DIR of the shell that ran `install` become flags (the service manager has neither).
 */
function serveArgs(
  flags: CliFlags,
  env: Readonly<Record<string, string>>,
  cwd: string,
): string[] {
  const paths = servicePaths(flags, env, cwd);
  const args = ["serve"];
  if (paths.config !== undefined) args.push("--config", paths.config);
  if (flags.host !== undefined) args.push("--host", flags.host);
  if (flags.port !== undefined) args.push("--port", String(flags.port));
  if (flags.logLevel !== undefined) args.push("--log-level", flags.logLevel);
  if (paths.dataDir !== undefined) args.push("--data-dir", paths.dataDir);
  if (flags.logFormat !== undefined) args.push("--log-format", flags.logFormat);
  if (paths.logFile !== undefined) args.push("--log-file", paths.logFile);
  return args;
}

/**
 * The service command: the compiled binary itself, or `deno run <permissions> --config
 * <project>/deno.json <project>/src/main.ts` when running from source.
 */
export function serviceSpec(input: SpecInput): ServiceSpec {
  const serve = serveArgs(input.flags, input.env, input.cwd);
  const absolute = (name: string) => {
    const value = envValue(input.env, name);
    return value !== undefined && isAbsolutePath(value) ? value : undefined;
  };
  const xdg = absolute("XDG_CONFIG_HOME");
  // Where the shell's ccp keeps its usage ledger (`ccp usage`, the status line read it there).
  const xdgData = absolute("XDG_DATA_HOME");
  // A systemd/launchd user session may not share the shell's XDG_CONFIG_HOME or XDG_DATA_HOME.
  const environment: Record<string, string> = input.system
    ? { CCP_CONFIG: joinPath(input.configDir ?? "/etc/ccp", "config.yaml") }
    : {
      ...(xdg !== undefined ? { XDG_CONFIG_HOME: xdg } : {}),
      ...(xdgData !== undefined ? { XDG_DATA_HOME: xdgData } : {}),
    };
  // The service works in the config dir, wherever `install` ran: its ./.env and ./ccp.yaml are
  // the config dir's.
  const workingDirectory = input.configDir ?? input.cwd;
  const paths = servicePaths(input.flags, input.env, input.cwd);
  const dataDir = paths.dataDir ??
    (input.system || xdgData === undefined ? undefined : joinPath(xdgData, "ccp"));
  const dirs = [dataDir, paths.logFile === undefined ? undefined : dirnamePath(paths.logFile)]
    .filter((d): d is string => d !== undefined);
  const writable = dirs.length > 0 ? { writable: [...new Set(dirs)] } : {};
  if (input.standalone) {
    return { program: [input.execPath, ...serve], workingDirectory, environment, ...writable };
  }
  const main = fileUrlToPath(input.mainModule);
  const root = dirnamePath(dirnamePath(main));
  return {
    program: [
      input.execPath,
      "run",
      ...RUNTIME_FLAGS,
      ...PERMISSION_FLAGS,
      "--config",
      joinPath(root, "deno.json"),
      main,
      ...serve,
    ],
    workingDirectory,
    environment,
    ...writable,
  };
}

/** Quotes one ExecStart word: as {@link systemdLiteral}, and `$` variables expand there too. */
export function systemdQuote(word: string): string {
  return systemdLiteral(word.replace(/\$/g, "$$$$"));
}

/**
 * Quotes one Environment= or ReadWritePaths= word: systemd expands `%` specifiers there and
 * unquotes the word, so `'`, `"` and `\` are syntax too; `$` is not (only ExecStart= expands
 * variables), so it stays single.
 */
function systemdLiteral(word: string): string {
  const escaped = word.replace(/%/g, "%%");
  if (/^[\w@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The systemd unit text: a user unit, or (for `system`) a system unit with its own user. */
export function renderSystemdUnit(
  spec: ServiceSpec,
  files: { readonly system?: boolean } = {},
): string {
  const env = Object.entries(spec.environment).map(([k, v]) =>
    `Environment=${systemdLiteral(`${k}=${v}`)}\n`
  ).join("");
  // ccp writes only its data dir (usage ledger, logs); everything else is read-only to it.
  // Directories given by flags may not exist yet: `-` keeps a missing one from failing the start.
  const named = (spec.writable ?? []).map((d) => `ReadWritePaths=${systemdLiteral(`-${d}`)}\n`)
    .join("");
  const sandbox = files.system
    ? `# Its own user, nothing else writable but its state dir (/var/lib/ccp) and its cache.
# A system user named ccp, if there is one, is used instead: give it a root-only .env with
# chgrp ccp /etc/ccp/.env && chmod 640 /etc/ccp/.env.
DynamicUser=yes
StateDirectory=ccp
Environment=XDG_DATA_HOME=/var/lib
CacheDirectory=ccp
Environment=XDG_CACHE_HOME=/var/cache
ConfigurationDirectory=ccp
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
# Out of its reach: the kernel's settings, modules and log, the cgroup tree, the hostname, new
# namespaces, other ABIs. Not MemoryDenyWriteExecute=: V8 compiles JavaScript into memory it runs.
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native
ReadWritePaths=/var/lib/ccp
${named}`
    : `# Nothing writable but its data dir. A user manager sandboxes in a user namespace of its own;
# where the system allows none, the service runs unsandboxed (PrivateUsers=yes would stop it).
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=-%h/.local/share/ccp
ReadWritePaths=-%h/.cache/ccp
${named}`;
  return `[Unit]
Description=ccp, an Anthropic Messages API proxy for Claude Code
# A broken config exits 1 at once: give up after 5 tries instead of restarting forever.
StartLimitIntervalSec=60
StartLimitBurst=5
${files.system ? "After=network-online.target\nWants=network-online.target\n" : ""}
[Service]
Type=simple
ExecStart=${spec.program.map(systemdQuote).join(" ")}
WorkingDirectory=${spec.workingDirectory.replace(/%/g, "%%")}
${env}Restart=on-failure
RestartSec=2
# SIGTERM drains requests in flight for up to 8 s; SIGHUP reloads the config.
TimeoutStopSec=15
ExecReload=/bin/kill -HUP $MAINPID
${sandbox}
[Install]
WantedBy=${files.system ? "multi-user.target" : "default.target"}
`;
}

/**
 * The directories a user unit may write: its data dir, the config-tree cache and those the flags
 * or the config name. systemd skips a `ReadWritePaths=-DIR` that does not exist when the service
 * starts, leaving it read-only, so `install` creates them first.
 */
export function userUnitDirs(spec: ServiceSpec, home: string): string[] {
  const own = [joinPath(home, ".local", "share", "ccp"), joinPath(home, ".cache", "ccp")];
  return [...new Set([...own, ...spec.writable ?? []])];
}

/** Escapes text for an XML element. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The launchd agent plist text; output goes to `logFile`. */
export function renderLaunchdPlist(spec: ServiceSpec, logFile: string): string {
  const str = (s: string) => `<string>${xmlEscape(s)}</string>`;
  const args = spec.program.map((a) => `\n    ${str(a)}`).join("");
  const envEntries = Object.entries(spec.environment);
  const env = envEntries.length === 0
    ? ""
    : `  <key>EnvironmentVariables</key>\n  <dict>${
      envEntries.map(([k, v]) => `\n    <key>${xmlEscape(k)}</key>${str(v)}`).join("")
    }\n  </dict>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>${str(LAUNCHD_LABEL)}
  <key>ProgramArguments</key>
  <array>${args}
  </array>
  <key>WorkingDirectory</key>${str(spec.workingDirectory)}
${env}  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key><false/>
  </dict>
  <key>ThrottleInterval</key><integer>10</integer>
  <key>StandardOutPath</key>${str(logFile)}
  <key>StandardErrorPath</key>${str(logFile)}
</dict>
</plist>
`;
}

/** Where a service's file lives. */
export type ServiceFiles =
  | { readonly kind: "systemd"; readonly file: string; readonly system: boolean }
  | {
    readonly kind: "launchd";
    readonly file: string;
    readonly log: string;
    readonly system: boolean;
  };

/** Where the service file lives on this OS; undefined where ccp has no service support. */
export function serviceFiles(
  os: typeof Deno.build.os,
  env: Readonly<Record<string, string>>,
  home: string | undefined,
  system = false,
): ServiceFiles | undefined {
  if (os === "linux") {
    if (system) return { kind: "systemd", file: `/etc/systemd/system/${SERVICE_NAME}`, system };
    if (home === undefined) return undefined;
    const xdg = envValue(env, "XDG_CONFIG_HOME");
    const base = xdg !== undefined && isAbsolutePath(xdg) ? xdg : joinPath(home, ".config");
    return { kind: "systemd", file: joinPath(base, "systemd", "user", SERVICE_NAME), system };
  }
  if (os === "darwin") {
    if (system) {
      return {
        kind: "launchd",
        file: `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`,
        log: "/Library/Logs/ccp.log",
        system,
      };
    }
    if (home === undefined) return undefined;
    return {
      kind: "launchd",
      file: joinPath(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`),
      log: joinPath(home, "Library", "Logs", "ccp.log"),
      system,
    };
  }
  return undefined;
}
