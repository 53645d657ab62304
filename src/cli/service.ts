/**
 * `ccp service install|uninstall|status [--system] [--dry-run]`: a systemd unit (Linux) or a
 * launchd job (macOS) that runs `ccp serve` from the config dir. Every step says what it did and
 * what it saw: nothing is reported as done unless the service manager said so, and when the
 * manager cannot be reached (a container, a session without a user bus) the exact command to
 * run by hand is printed and the exit code is 1.
 */

import { dirnamePath, isAbsolutePath } from "../config/paths.ts";
import type { Config } from "../config/types.ts";
import { loadCliConfig } from "./load.ts";
import { defaultConfigDir, homeDir } from "../config/search.ts";
import type { CliFlags, ServiceAction } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import {
  LAUNCHD_LABEL,
  renderLaunchdPlist,
  renderSystemdUnit,
  SERVICE_NAME,
  type ServiceFiles,
  serviceFiles,
  servicePaths,
  type ServiceSpec,
  serviceSpec,
  userUnitDirs,
} from "./service_render.ts";
import { shellOnlyReferences, shellOnlySettings, shellOnlySetup } from "./service_env.ts";
import { listed } from "../core/text.ts";
import { unreadableByService, unreadableNote } from "./service_access.ts";

/** The result of running a helper program. */
export interface ExecResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a program and collects its output; injected so tests never touch systemctl. */
export type Exec = (command: string, args: readonly string[]) => Promise<ExecResult>;

/** Runs a program with Deno.Command; a missing program gives code 127. */
async function realExec(command: string, args: readonly string[]): Promise<ExecResult> {
  try {
    const result = await new Deno.Command(command, { args: [...args], stdin: "null" }).output();
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    return { code: result.code, output: text.trim() };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { code: 127, output: `${command}: not found` };
    throw err;
  }
}

/** Options of `ccp service`. */
export interface ServiceOptions {
  readonly system?: boolean;
  readonly dryRun?: boolean;
  readonly exec?: Exec;
  /** Where /etc is, for what a --system service can read there (a test's own directory). */
  readonly etc?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

// The manager's own words when it is not there to talk to (no systemd, no user bus, no launchd).
const UNREACHABLE =
  /not found|failed to connect to bus|system has not been booted with systemd|no such file|could not find domain|not running|operation not permitted/i;

/** The commands that start, stop and ask about the service, per service manager. */
function managerCommands(files: ServiceFiles, uid: number) {
  if (files.kind === "systemd") {
    const ctl = (...args: string[]) =>
      files.system ? ["systemctl", ...args] : ["systemctl", "--user", ...args];
    return {
      start: [
        ctl("daemon-reload"),
        ctl("enable", "--now", SERVICE_NAME),
        ctl("restart", SERVICE_NAME),
      ],
      stop: [ctl("disable", "--now", SERVICE_NAME)],
      after: [ctl("daemon-reload")],
      status: ctl("is-active", SERVICE_NAME),
    };
  }
  const domain = files.system ? "system" : `gui/${uid}`;
  return {
    start: [["launchctl", "bootstrap", domain, files.file]],
    stop: [["launchctl", "bootout", `${domain}/${LAUNCHD_LABEL}`]],
    after: [] as string[][],
    status: ["launchctl", "print", `${domain}/${LAUNCHD_LABEL}`],
  };
}

/** Runs `ccp service <action>`; returns the exit code. */
export async function runService(
  ctx: CliContext,
  action: ServiceAction,
  flags: CliFlags,
  options: ServiceOptions | Exec = {},
): Promise<number> {
  const { system = false, dryRun = false, exec = realExec, etc = "/etc" } =
    typeof options === "function" ? { exec: options } : options;
  const ccp = ccpCommand(ctx);
  const home = homeDir(ctx.env, ctx.home);
  const files = serviceFiles(ctx.os, ctx.env, home, system);
  if (files === undefined) {
    throw new CliError(
      home === undefined && !system
        ? "ccp service: no home directory is known (HOME is unset); use --system, or set HOME."
        : `ccp service supports Linux (systemd) and macOS (launchd), not ${ctx.os}. ` +
          `Run "${ccp} serve" from your own service manager instead (e.g. Task Scheduler).`,
    );
  }
  const uid = Deno.uid() ?? 0;
  const manager = managerCommands(files, uid);
  const show = (command: readonly string[]) => command.join(" ");
  const run = async (command: readonly string[]) => {
    const [program = "", ...args] = command;
    return await exec(program, args);
  };
  const installed = await exists(files.file);

  if (action === "status") {
    ctx.io.out(installed ? `Installed: ${files.file}` : `Not installed (no ${files.file})`);
    const state = await run(manager.status);
    if (state.code !== 0 && UNREACHABLE.test(state.output)) {
      ctx.io.out(
        `State: unknown: the service manager cannot be reached (${firstLine(state.output)})`,
      );
      return installed ? 0 : 1;
    }
    const running = files.kind === "systemd"
      ? state.output.trim() || "unknown"
      : state.code === 0
      ? "loaded"
      : "not loaded";
    ctx.io.out(`State: ${running}`);
    return 0;
  }

  if (action === "uninstall") {
    if (!installed) {
      ctx.io.out(`Not installed (no ${files.file}); nothing to do`);
      return 0;
    }
    if (dryRun) {
      for (const command of manager.stop) ctx.io.out(`would run: ${show(command)}`);
      ctx.io.out(`would remove: ${files.file}`);
      for (const command of manager.after) ctx.io.out(`would run: ${show(command)}`);
      return 0;
    }
    let stopped = true;
    for (const command of manager.stop) {
      const result = await run(command);
      if (result.code !== 0) {
        stopped = false;
        ctx.io.out(
          `Could not stop the service: ${show(command)} failed: ${firstLine(result.output)}`,
        );
      }
    }
    await Deno.remove(files.file);
    ctx.io.out(`Removed ${files.file}`);
    for (const command of manager.after) await run(command);
    if (stopped) ctx.io.out("Stopped the service");
    else {
      ctx.io.out(`If it is still running, stop it by hand: ${manager.stop.map(show).join(" && ")}`);
      return 1;
    }
    return 0;
  }

  const configDir = system ? "/etc/ccp" : defaultConfigDir(ctx.env, home);
  if (configDir === undefined) throw new CliError("ccp service: no config dir is known (set HOME)");
  // The system unit runs as a user of its own with /home and /root hidden (ProtectHome=yes).
  const systemWide = "install the binary system-wide (install.sh with " +
    "CCP_INSTALL_DIR=/usr/local/bin, as root) and run `/usr/local/bin/ccp service install --system`";
  if (
    system && files.kind === "systemd" && ctx.standalone && /^\/(home|root)\//.test(ctx.execPath)
  ) {
    throw new CliError(
      `a --system service runs as its own user with /home and /root hidden: ${ctx.execPath} is ` +
        `under /home or /root, so every start would fail. To run one, ${systemWide}; or use a ` +
        "user service (without --system).",
    );
  }
  if (system && files.kind === "systemd" && !ctx.standalone) {
    // Nor is Deno's package cache (under the installing user's home) its cache, and
    // ProtectSystem=strict gives it nowhere to fill one.
    ctx.io.err(
      "Note: a --system service from a source checkout runs as its own user, who cannot read " +
        `this checkout under /home or /root, nor your Deno package cache: ${systemWide} instead.`,
    );
  }
  if (system && files.kind === "systemd") {
    const note = unreadableNote(await unreadableByService(`${etc}/ccp`, `${etc}/passwd`));
    if (note !== undefined) ctx.io.err(note);
  }
  const read = await readAsService(ctx, flags, configDir, system);
  const spec = withConfigDirs(serviceSpec({ ...ctx, flags, configDir, system }), read.dirs);
  const unseen = read.config ? await shellOnlySetup(read.config, ctx.env, configDir) : [];
  if (unseen.length > 0) {
    ctx.io.err(
      `Note: no config file is found, and ${unseen.join(", ")} ${
        unseen.length === 1 ? "is" : "are"
      } set in this shell only: the service does not see this shell's variables and would run ` +
        `on the built-in default (local Ollama). Put ${
          unseen.length === 1 ? "it" : "them"
        } and the provider keys in ${configDir}/.env, or run ${ccp} init.`,
    );
  }
  const unread = read.config ? await shellOnlyReferences(read.config, ctx.env, configDir) : [];
  if (unread.length > 0) {
    const one = unread.length === 1;
    const source = read.config?.source.kind === "file" ? read.config.source.path : "";
    ctx.io.err(
      `Note: ${source} reads ${listed(unread)}, set in this shell only: the service does not ` +
        `see this shell's variables and would read ${one ? "it" : "them"} as empty (or ${
          one ? "its default" : "their defaults"
        }). Put ${one ? "it" : "them"} in ${configDir}/.env.`,
    );
  }
  const settings = await shellOnlySettings(flags, ctx.env, configDir);
  if (settings.length > 0) {
    const one = settings.length === 1;
    ctx.io.err(
      `Note: ${listed(settings)} ${one ? "is" : "are"} set in this shell only: the service does ` +
        `not see this shell's variables and would run without ${one ? "it" : "them"}. Put ${
          one ? "it" : "them"
        } in ${configDir}/.env.`,
    );
  }
  const text = files.kind === "systemd"
    ? renderSystemdUnit(spec, files)
    : renderLaunchdPlist(spec, files.log);
  if (dryRun) {
    ctx.io.out(`# ${files.file}`);
    ctx.io.out(text.trimEnd());
    ctx.io.out("");
    for (const command of manager.start) ctx.io.out(`would run: ${show(command)}`);
    return 0;
  }
  await Deno.mkdir(dirnamePath(files.file), { recursive: true });
  if (files.kind === "launchd") await Deno.mkdir(dirnamePath(files.log), { recursive: true });
  // The service starts in the config dir: a missing one fails every start (systemd's CHDIR
  // error), as it would before `ccp init`, or with a config file named elsewhere.
  await Deno.mkdir(configDir, { recursive: true }).catch((err) => {
    throw new CliError(`Cannot create ${configDir}, where the service works: ${err.message}`);
  });
  if (files.kind === "systemd" && !files.system && home !== undefined) {
    for (const dir of userUnitDirs(spec, home)) {
      await Deno.mkdir(dir, { recursive: true }).catch((err) =>
        ctx.io.err(`Note: cannot create ${dir} (${err.message}): the service cannot write there.`)
      );
    }
  }
  if (files.kind === "launchd" && installed) await run(manager.stop[0]!); // reload the new plist
  await Deno.writeTextFile(files.file, text);
  ctx.io.out(`${installed ? "Updated" : "Wrote"} ${files.file}`);
  for (const command of manager.start) {
    let result = await run(command);
    // launchctl bootout returns before the old job is gone, and a bootstrap meanwhile fails
    // with "5: Input/output error": a reinstall gives it a few seconds.
    for (let tries = 0; replaced(files, installed, result) && tries < 6; tries++) {
      await new Promise((done) => setTimeout(done, 500));
      result = await run(command);
    }
    if (result.code === 0) continue;
    const reason = firstLine(result.output) || `exit ${result.code}`;
    const unreachable = UNREACHABLE.test(result.output) || result.code === 127;
    ctx.io.err(
      (unreachable
        ? `The service manager cannot be reached (${reason}): the service is written but not started.`
        : `${show(command)} failed (${reason}): the service is written but not started.`) +
        `\nStart it by hand where the manager runs: ${manager.start.map(show).join(" && ")}`,
    );
    return 1;
  }
  ctx.io.out(`Started it: ${spec.program.join(" ")}`);
  if (files.kind === "systemd") {
    ctx.io.out(`Logs: journalctl ${files.system ? "" : "--user "}-u ccp -f`);
    if (!files.system) {
      ctx.io.out(
        `To keep it running while you are logged out: loginctl enable-linger ${
          ctx.env.USER ?? "$USER"
        }`,
      );
    }
  } else ctx.io.out(`Logs: ${files.log}`);
  ctx.io.out(`It reads its config from ${configDir}; provider keys go in ${configDir}/.env.`);
  return 0;
}

/**
 * The data dir and log directory the service's config names (`server.data_dir`, `log_file`):
 * the unit must let it write there too, not only where flags point. Read as the service will
 * read it, from the config dir; a config that does not load yet names none.
 */
async function readAsService(
  ctx: CliContext,
  flags: CliFlags,
  configDir: string,
  system: boolean,
): Promise<{ dirs: string[]; config?: Config }> {
  if (system) return { dirs: [] }; // its config is in /etc/ccp, written after install
  try {
    // The paths the unit passes as flags, made absolute from where install ran (CCP_CONFIG too).
    const paths = servicePaths(flags, ctx.env, ctx.cwd);
    const config = await loadCliConfig({ ...ctx, cwd: configDir }, {
      ...flags,
      ...(paths.config !== undefined ? { config: paths.config } : {}),
      ...(paths.dataDir !== undefined ? { dataDir: paths.dataDir } : {}),
      ...(paths.logFile !== undefined ? { logFile: paths.logFile } : {}),
    });
    const { dataDir, logFile } = config.server;
    const dirs = [dataDir, logFile === undefined ? undefined : dirnamePath(logFile)]
      .filter((d): d is string => d !== undefined && isAbsolutePath(d));
    return { dirs, config };
  } catch {
    return { dirs: [] };
  }
}

function withConfigDirs(spec: ServiceSpec, dirs: readonly string[]): ServiceSpec {
  const writable = [...new Set([...spec.writable ?? [], ...dirs])];
  return writable.length > 0 ? { ...spec, writable } : spec;
}

function replaced(files: ServiceFiles, installed: boolean, result: ExecResult): boolean {
  return files.kind === "launchd" && installed && result.code !== 0 &&
    (result.code === 5 || /\b5: Input\/output error/.test(result.output));
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
