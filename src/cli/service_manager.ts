/**
 * Talking to the service manager for `ccp service`: the commands that start, stop and ask about
 * the service under systemd or launchd, and running them.
 */

import type { CliContext } from "./context.ts";
import { LAUNCHD_LABEL, SERVICE_NAME, type ServiceFiles } from "./service_render.ts";

/** The result of running a helper program. */
export interface ExecResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a program and collects its output; injected so tests never touch systemctl. */
export type Exec = (command: string, args: readonly string[]) => Promise<ExecResult>;

/** Runs a program with Deno.Command; a missing program gives code 127. */
export async function realExec(command: string, args: readonly string[]): Promise<ExecResult> {
  try {
    const result = await new Deno.Command(command, { args: [...args], stdin: "null" }).output();
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    return { code: result.code, output: text.trim() };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { code: 127, output: `${command}: not found` };
    throw err;
  }
}

// The manager's own words when it is not there to talk to (no systemd, no user bus, no launchd).
export const UNREACHABLE =
  /not found|failed to connect to bus|system has not been booted with systemd|no such file|could not find domain|not running|operation not permitted/i;

/** The commands that start, stop and ask about the service, per service manager. */
export interface ManagerCommands {
  readonly start: readonly string[][];
  readonly stop: readonly string[][];
  /** Run after the service file is removed. */
  readonly after: readonly string[][];
  readonly status: readonly string[];
}

/** The commands for the manager that `files` are written for. */
export function managerCommands(files: ServiceFiles, uid: number): ManagerCommands {
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
    after: [],
    status: ["launchctl", "print", `${domain}/${LAUNCHD_LABEL}`],
  };
}

/** What every `ccp service` action works with: the files, the manager and how to run it. */
export interface ServiceRun {
  readonly ctx: CliContext;
  readonly files: ServiceFiles;
  readonly manager: ManagerCommands;
  /** Whether the service file exists already. */
  readonly installed: boolean;
  run(command: readonly string[]): Promise<ExecResult>;
}

/** A command as the user would type it. */
export function show(command: readonly string[]): string {
  return command.join(" ");
}

/** The first line of a program's output. */
export function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
