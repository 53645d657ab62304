/**
 * `ccp service install|uninstall|status [--system] [--dry-run]`: a systemd unit (Linux) or a
 * launchd job (macOS) that runs `ccp serve` from the config dir. Every step says what it did and
 * what it saw: nothing is reported as done unless the service manager said so, and when the
 * manager cannot be reached (a container, a session without a user bus) the exact command to
 * run by hand is printed and the exit code is 1.
 */

import { homeDir } from "../config/search.ts";
import type { CliFlags, ServiceAction } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { installService } from "./service_install.ts";
import {
  type Exec,
  firstLine,
  managerCommands,
  realExec,
  type ServiceRun,
  show,
  UNREACHABLE,
} from "./service_manager.ts";
import { serviceFiles } from "./service_render.ts";

export type { Exec } from "./service_manager.ts";

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

/** Runs `ccp service <action>`; returns the exit code. */
export async function runService(
  ctx: CliContext,
  action: ServiceAction,
  flags: CliFlags,
  options: ServiceOptions | Exec = {},
): Promise<number> {
  const { system = false, dryRun = false, exec = realExec, etc = "/etc" } =
    typeof options === "function" ? { exec: options } : options;
  const home = homeDir(ctx.env, ctx.home);
  const files = serviceFiles(ctx.os, ctx.env, home, system);
  if (files === undefined) {
    throw new CliError(
      home === undefined && !system
        ? "ccp service: no home directory is known (HOME is unset); use --system, or set HOME."
        : `ccp service supports Linux (systemd) and macOS (launchd), not ${ctx.os}. ` +
          `Run "${
            ccpCommand(ctx)
          } serve" from your own service manager instead (e.g. Task Scheduler).`,
    );
  }
  const service: ServiceRun = {
    ctx,
    files,
    manager: managerCommands(files, Deno.uid() ?? 0),
    installed: await exists(files.file),
    run: async (command) => {
      const [program = "", ...args] = command;
      return await exec(program, args);
    },
  };
  if (action === "status") return await serviceStatus(service);
  if (action === "uninstall") return await uninstallService(service, dryRun);
  return await installService(service, flags, { system, dryRun, etc, home });
}

/** Whether the service file is there, and what the manager says of the service. */
async function serviceStatus(service: ServiceRun): Promise<number> {
  const { ctx, files, installed } = service;
  ctx.io.out(installed ? `Installed: ${files.file}` : `Not installed (no ${files.file})`);
  const state = await service.run(service.manager.status);
  if (state.code !== 0 && UNREACHABLE.test(state.output)) {
    ctx.io.out(
      `State: unknown: the service manager cannot be reached (${firstLine(state.output)})`,
    );
    // As install and uninstall do: the question to ask where the manager runs (a host's shell).
    if (installed) {
      ctx.io.out(`Ask it by hand where the manager runs: ${show(service.manager.status)}`);
    }
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

/** Stops the service and removes its file; says how to stop it by hand when the manager failed. */
async function uninstallService(service: ServiceRun, dryRun: boolean): Promise<number> {
  const { ctx, files, manager } = service;
  if (!service.installed) {
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
    const result = await service.run(command);
    if (result.code !== 0) {
      stopped = false;
      ctx.io.out(
        `Could not stop the service: ${show(command)} failed: ${firstLine(result.output)}`,
      );
    }
  }
  await Deno.remove(files.file);
  ctx.io.out(`Removed ${files.file}`);
  for (const command of manager.after) await service.run(command);
  if (stopped) ctx.io.out("Stopped the service");
  else {
    ctx.io.out(`If it is still running, stop it by hand: ${manager.stop.map(show).join(" && ")}`);
    return 1;
  }
  return 0;
}
