/**
 * `ccp service install`: checks what the service could not reach, notes what this shell has and
 * the service would not, writes the unit or plist, and starts it through the service manager.
 */

import { dirnamePath, isAbsolutePath } from "../config/paths.ts";
import { defaultConfigDir } from "../config/search.ts";
import type { Config } from "../config/types.ts";
import { listed } from "../core/text.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { unreadableByService, unreadableNote } from "./service_access.ts";
import { shellOnlyReferences, shellOnlySettings, shellOnlySetup } from "./service_env.ts";
import {
  type ExecResult,
  firstLine,
  type ServiceRun,
  show,
  UNREACHABLE,
} from "./service_manager.ts";
import {
  renderLaunchdPlist,
  renderSystemdUnit,
  type ServiceFiles,
  servicePaths,
  type ServiceSpec,
  serviceSpec,
  userUnitDirs,
} from "./service_render.ts";
import { notAsRoot, otherOwner } from "../core/other_owner.ts";

/** Where install writes and what it is asked to do. */
export interface InstallOptions {
  readonly system: boolean;
  readonly dryRun: boolean;
  /** Where /etc is, for what a --system service can read there (a test's own directory). */
  readonly etc: string;
  readonly home: string | undefined;
}

/** Installs (or updates) and starts the service; returns the exit code. */
export async function installService(
  service: ServiceRun,
  flags: CliFlags,
  options: InstallOptions,
): Promise<number> {
  const { ctx, files, manager } = service;
  const { system, home } = options;
  const configDir = system ? "/etc/ccp" : defaultConfigDir(ctx.env, home);
  if (configDir === undefined) throw new CliError("ccp service: no config dir is known (set HOME)");
  await checkSystemService(ctx, files, options);
  const read = await readAsService(ctx, flags, configDir, system);
  const spec = withConfigDirs(serviceSpec({ ...ctx, flags, configDir, system }), read.dirs);
  await noteShellOnly(ctx, flags, read.config, configDir);
  const text = files.kind === "systemd"
    ? renderSystemdUnit(spec, files)
    : renderLaunchdPlist(spec, files.log);
  if (options.dryRun) {
    ctx.io.out(`# ${files.file}`);
    ctx.io.out(text.trimEnd());
    ctx.io.out("");
    for (const command of manager.start) ctx.io.out(`would run: ${show(command)}`);
    return 0;
  }
  const other = await otherOwner(files.file);
  if (other) throw new CliError(`${notAsRoot(other)}; ccp wrote nothing`);
  await makeDirs(ctx, files, configDir, spec, home);
  if (files.kind === "launchd" && service.installed) {
    await service.run(manager.stop[0]!); // reload the new plist
  }
  await Deno.writeTextFile(files.file, text);
  ctx.io.out(`${service.installed ? "Updated" : "Wrote"} ${files.file}`);
  if (!await startService(service)) return 1;
  startedLines(ctx, files, spec, configDir);
  return 0;
}

/**
 * A --system unit runs as a user of its own with /home and /root hidden (ProtectHome=yes): a
 * binary there cannot start, a source checkout cannot be read, and /etc/ccp must be readable.
 */
async function checkSystemService(
  ctx: CliContext,
  files: ServiceFiles,
  options: InstallOptions,
): Promise<void> {
  if (!options.system || files.kind !== "systemd") return;
  const systemWide = "install the binary system-wide (install.sh with " +
    "CCP_INSTALL_DIR=/usr/local/bin, as root) and run `/usr/local/bin/ccp service install --system`";
  if (ctx.standalone && /^\/(home|root)\//.test(ctx.execPath)) {
    throw new CliError(
      `a --system service runs as its own user with /home and /root hidden: ${ctx.execPath} is ` +
        `under /home or /root, so every start would fail. To run one, ${systemWide}; or use a ` +
        "user service (without --system).",
    );
  }
  if (!ctx.standalone) {
    // Nor is Deno's package cache (under the installing user's home) its cache, and
    // ProtectSystem=strict gives it nowhere to fill one.
    ctx.io.err(
      "Note: a --system service from a source checkout runs as its own user, who cannot read " +
        `this checkout under /home or /root, nor your Deno package cache: ${systemWide} instead.`,
    );
  }
  const { etc } = options;
  const note = unreadableNote(await unreadableByService(`${etc}/ccp`, `${etc}/passwd`));
  if (note !== undefined) ctx.io.err(note);
}

/** Notes what is set in this shell only: the service does not see this shell's variables. */
async function noteShellOnly(
  ctx: CliContext,
  flags: CliFlags,
  config: Config | undefined,
  configDir: string,
): Promise<void> {
  const unseen = config ? await shellOnlySetup(config, ctx.env, configDir) : [];
  if (unseen.length > 0) {
    ctx.io.err(
      `Note: no config file is found, and ${unseen.join(", ")} ${
        unseen.length === 1 ? "is" : "are"
      } set in this shell only: the service does not see this shell's variables and would run ` +
        `on the built-in default (local Ollama). Put ${
          unseen.length === 1 ? "it" : "them"
        } and the provider keys in ${configDir}/.env, or run ${ccpCommand(ctx)} init.`,
    );
  }
  const unread = config ? await shellOnlyReferences(config, ctx.env, configDir) : [];
  if (unread.length > 0) {
    const one = unread.length === 1;
    const source = config?.source.kind === "file" ? config.source.path : "";
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
}

/** The directories the service file, its log, its working dir and its writes need. */
async function makeDirs(
  ctx: CliContext,
  files: ServiceFiles,
  configDir: string,
  spec: ServiceSpec,
  home: string | undefined,
): Promise<void> {
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
}

/** Runs the manager's start commands; false, with the commands to run by hand, when one fails. */
async function startService(service: ServiceRun): Promise<boolean> {
  const { ctx, files, manager, installed } = service;
  for (const command of manager.start) {
    let result = await service.run(command);
    // launchctl bootout returns before the old job is gone, and a bootstrap meanwhile fails
    // with "5: Input/output error": a reinstall gives it a few seconds.
    for (let tries = 0; replaced(files, installed, result) && tries < 6; tries++) {
      await new Promise((done) => setTimeout(done, 500));
      result = await service.run(command);
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
    return false;
  }
  return true;
}

/** What runs now, where its logs are and where its config and keys go. */
function startedLines(
  ctx: CliContext,
  files: ServiceFiles,
  spec: ServiceSpec,
  configDir: string,
): void {
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
