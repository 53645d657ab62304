/** Parses ccp's command line into a tagged union of commands, or a usage error. */

import { didYouMean } from "../config/suggest.ts";
import type { LogLevel } from "../config/types.ts";
import { type FlagSpec, parseFlags, UsageError } from "./flag_parser.ts";

/** The commands `ccp help <topic>` knows. */
export const COMMANDS = [
  "serve",
  "init",
  "check",
  "models",
  "health",
  "usage",
  "statusline",
  "code",
  "service",
  "settings",
  "help",
] as const;

/** A command name. */
export type CommandName = (typeof COMMANDS)[number];

/** Actions of `ccp service`. */
const SERVICE_ACTIONS = ["install", "uninstall", "status"] as const;

/** A `ccp service` action. */
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** Actions of `ccp settings`. */
const SETTINGS_ACTIONS = ["install", "uninstall", "status"] as const;

/** A `ccp settings` action. */
export type SettingsAction = (typeof SETTINGS_ACTIONS)[number];

/** Configs `ccp init --from` converts. */
const IMPORT_PEERS = ["ccr", "litellm", "cliproxyapi", "anthropic-proxy"] as const;

/** A config `ccp init --from` converts: claude-code-router's, LiteLLM's or CLIProxyAPI's. */
export type ImportPeer = (typeof IMPORT_PEERS)[number];

/** The common flags; absent ones fall back to CCP_* variables, the config file and defaults. */
export interface CliFlags {
  readonly config?: string;
  readonly host?: string;
  readonly port?: number;
  readonly logLevel?: LogLevel;
  readonly dataDir?: string;
  readonly logFormat?: "text" | "json";
  readonly logFile?: string;
}

/** What the command line asks for. */
export type Command =
  | {
    readonly cmd: "serve" | "check" | "models" | "health" | "statusline";
    readonly flags: CliFlags;
  }
  | {
    readonly cmd: "init";
    readonly flags: CliFlags;
    /** `--from <peer> [--from-file PATH]`: convert another proxy's config instead. */
    readonly from?: { readonly peer: ImportPeer; readonly file?: string };
  }
  | { readonly cmd: "code"; readonly flags: CliFlags; readonly claudeArgs: readonly string[] }
  | {
    readonly cmd: "usage";
    readonly flags: CliFlags;
    readonly since?: string;
    readonly by?: string;
    readonly json: boolean;
  }
  | {
    readonly cmd: "service";
    readonly action: ServiceAction;
    readonly flags: CliFlags;
    /** A system-wide service (its own user, config in /etc/ccp) instead of one for this user. */
    readonly system: boolean;
    /** Print what would be written and run; change nothing. */
    readonly dryRun: boolean;
  }
  | {
    readonly cmd: "settings";
    readonly action: SettingsAction;
    readonly flags: CliFlags;
    /** The project's `.claude/settings.local.json` instead of the user's settings. */
    readonly project: boolean;
    /** Print what would change; change nothing. */
    readonly dryRun: boolean;
  }
  | { readonly cmd: "version" }
  | { readonly cmd: "help"; readonly topic?: CommandName }
  | { readonly cmd: "usage_error"; readonly message: string; readonly topic?: CommandName };

const OPTIONS: Readonly<Record<string, FlagSpec>> = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "log-level": { type: "string" },
  "data-dir": { type: "string" },
  "log-format": { type: "string" },
  "log-file": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  system: { type: "boolean" },
  "dry-run": { type: "boolean" },
  project: { type: "boolean" },
  since: { type: "string" },
  by: { type: "string" },
  json: { type: "boolean" },
  from: { type: "string" },
  "from-file": { type: "string" },
};

/** Flags followed by a value (`--port 8082` or `--port=8082`). */
const VALUE_FLAGS: ReadonlySet<string> = new Set([
  "--config",
  "--host",
  "--port",
  "--log-level",
  "--data-dir",
  "--log-format",
  "--log-file",
  "--since",
  "--by",
  "--from",
  "--from-file",
]);
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

function isServiceAction(name: string): name is ServiceAction {
  return (SERVICE_ACTIONS as readonly string[]).includes(name);
}

/** Index of the first positional argument (the command), skipping flags and their values. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") return -1;
    if (VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith("-")) return i;
  }
  return -1;
}

/** Splits what follows `code` into ccp's own flags and claude's arguments (`--` ends ccp's). */
function splitCodeArgs(rest: readonly string[]): { ccp: string[]; claude: string[] } {
  const ccp: string[] = [];
  const claude: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? "";
    if (arg === "--") {
      claude.push(...rest.slice(i + 1));
      break;
    }
    const name = arg.split("=", 1)[0] ?? arg;
    if (VALUE_FLAGS.has(name)) {
      ccp.push(arg);
      if (!arg.includes("=") && i + 1 < rest.length) ccp.push(rest[++i] ?? "");
    } else if (arg === "-h" || arg === "--help") ccp.push(arg);
    else claude.push(arg);
  }
  return { ccp, claude };
}

/** The flags' values as the flag parser gives them. */
type FlagValues = Record<string, string | boolean | undefined>;

/** Validates the flag values shared by all commands. */
function toFlags(values: FlagValues): CliFlags {
  const text = (name: string): string | undefined => {
    const value = values[name];
    if (typeof value !== "string") return undefined;
    if (value.trim() === "") throw new UsageError(`--${name} needs a value`);
    return value.trim();
  };
  const port = text("port");
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) <= 65_535)) {
    throw new UsageError(
      `--port: expected an integer from 0 to 65535, got ${JSON.stringify(port)}`,
    );
  }
  const level = text("log-level")?.toLowerCase();
  const logLevel = LOG_LEVELS.find((l) => l === level);
  if (level !== undefined && logLevel === undefined) {
    throw new UsageError(
      `--log-level: expected debug, info, warn or error, got ${JSON.stringify(level)}`,
    );
  }
  const format = text("log-format")?.toLowerCase();
  if (format !== undefined && format !== "text" && format !== "json") {
    throw new UsageError(`--log-format: expected text or json, got ${JSON.stringify(format)}`);
  }
  const config = text("config");
  const host = text("host");
  const dataDir = text("data-dir");
  const logFile = text("log-file");
  return {
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(format !== undefined ? { logFormat: format } : {}),
    ...(logFile !== undefined ? { logFile } : {}),
    ...(config !== undefined ? { config } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port: Number(port) } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  };
}

/** Builds the command once flags and positionals are known. */
function toCommand(
  positionals: readonly string[],
  values: FlagValues,
  claudeArgs: readonly string[],
): Command {
  const [name = "serve", ...rest] = positionals;
  if (!isCommand(name)) {
    const near = didYouMean(name, COMMANDS);
    throw new UsageError(`unknown command "${name}"${near === undefined ? "" : `; ${near}`}`);
  }
  const topic: CommandName = name;
  if (values.help) {
    // Plain `ccp --help` is the main help, not serve's, although serve is the default command.
    const about = positionals.length === 0 ? undefined : topic === "help" ? rest[0] : topic;
    return about !== undefined && isCommand(about)
      ? { cmd: "help", topic: about }
      : { cmd: "help" };
  }
  if (values.version) return { cmd: "version" };
  if (topic === "help") return helpCommand(rest);
  const flags = toFlags(values);
  refuseOthersOptions(topic, values);
  if (topic === "init") return initCommand(rest, values, flags);
  if (topic === "code") return { cmd: "code", flags, claudeArgs };
  if (topic === "usage") {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    return {
      cmd: "usage",
      flags,
      ...(typeof values.since === "string" ? { since: values.since } : {}),
      ...(typeof values.by === "string" ? { by: values.by } : {}),
      json: values.json === true,
    };
  }
  if (topic === "settings") return settingsCommand(rest, values, flags);
  if (topic === "service") return serviceCommand(rest, values, flags);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return { cmd: topic, flags };
}

/** `ccp help [command]`. */
function helpCommand(rest: readonly string[]): Command {
  const [about, ...extra] = rest;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (about === undefined) return { cmd: "help" };
  if (!isCommand(about)) throw new UsageError(`no help for unknown command "${about}"`);
  return { cmd: "help", topic: about };
}

/** Refuses an option of `ccp service`, `ccp settings`, `ccp usage` or `ccp init` given to another command. */
function refuseOthersOptions(topic: CommandName, values: FlagValues): void {
  if (topic !== "service" && values.system) {
    throw new UsageError('--system is an option of "ccp service"');
  }
  if (topic !== "service" && topic !== "settings" && values["dry-run"]) {
    throw new UsageError('--dry-run is an option of "ccp service" and "ccp settings"');
  }
  if (topic !== "settings" && values.project) {
    throw new UsageError('--project is an option of "ccp settings"');
  }
  if (topic !== "usage" && (values.since !== undefined || values.by !== undefined || values.json)) {
    const option = values.since !== undefined
      ? "--since"
      : values.by !== undefined
      ? "--by"
      : "--json";
    throw new UsageError(`${option} is an option of "ccp usage"`);
  }
  if (topic !== "init" && (values.from !== undefined || values["from-file"] !== undefined)) {
    throw new UsageError(
      `${values.from !== undefined ? "--from" : "--from-file"} is an option of "ccp init"`,
    );
  }
}

/** `ccp settings install|uninstall|status [--project] [--dry-run]`. */
function settingsCommand(rest: readonly string[], values: FlagValues, flags: CliFlags): Command {
  const [action, ...extra] = rest;
  if (action === undefined) {
    throw new UsageError("settings needs an action: install, uninstall or status");
  }
  const known = SETTINGS_ACTIONS.find((a) => a === action);
  if (known === undefined) {
    throw new UsageError(`unknown settings action "${action}" (use install, uninstall or status)`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return {
    cmd: "settings",
    action: known,
    flags,
    project: values.project === true,
    dryRun: values["dry-run"] === true,
  };
}

/** `ccp init`, or `ccp init --from <peer> [--from-file <file>]`. */
function initCommand(rest: readonly string[], values: FlagValues, flags: CliFlags): Command {
  const from = values.from;
  const fromFile = values["from-file"];
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (typeof fromFile === "string" && from === undefined) {
    throw new UsageError(
      `--from-file needs --from ${IMPORT_PEERS.join(", ")} (the kind of file it is)`,
    );
  }
  if (typeof from !== "string") return { cmd: "init", flags };
  const peer = IMPORT_PEERS.find((p) => p === from.trim().toLowerCase());
  if (peer === undefined) {
    throw new UsageError(
      `--from: expected ${IMPORT_PEERS.join(", ")}, got ${JSON.stringify(from)}`,
    );
  }
  if (typeof fromFile === "string" && fromFile.trim() === "") {
    throw new UsageError("--from-file needs a value");
  }
  return {
    cmd: "init",
    flags,
    from: { peer, ...(typeof fromFile === "string" ? { file: fromFile.trim() } : {}) },
  };
}

/** `ccp service <action> [-- <serve flags>]`. */
function serviceCommand(rest: readonly string[], values: FlagValues, flags: CliFlags): Command {
  const [action, ...extra] = rest;
  if (action === undefined) {
    throw new UsageError("service needs an action: install, uninstall or status");
  }
  if (!isServiceAction(action)) {
    throw new UsageError(
      `unknown service action "${action}" (use install, uninstall or status)`,
    );
  }
  // `ccp service install -- --port 9000`: what follows `--` are flags for `ccp serve`.
  let serveFlags: CliFlags = {};
  if (extra.length > 0) {
    const serve = parseCli(["serve", ...extra]);
    if (serve.cmd !== "serve") {
      throw new UsageError(
        serve.cmd === "usage_error"
          ? `after --: ${serve.message}`
          : "unexpected arguments after --",
      );
    }
    serveFlags = serve.flags;
  }
  return {
    cmd: "service",
    action,
    flags: { ...flags, ...serveFlags },
    system: values.system === true,
    dryRun: values["dry-run"] === true,
  };
}

/** Parses `argv` (without the program name); never throws. */
export function parseCli(given: readonly string[]): Command {
  // `deno task start -- --port 9000`, the npm habit, hands ccp a leading `--` that ends nothing.
  const argv = given[0] === "--" ? given.slice(1) : given;
  const at = commandIndex(argv);
  const isCode = at >= 0 && argv[at] === "code";
  const split = isCode ? splitCodeArgs(argv.slice(at + 1)) : undefined;
  const args = split ? [...argv.slice(0, at + 1), ...split.ccp] : [...argv];
  const topic = at >= 0 && isCommand(argv[at] ?? "") ? argv[at] as CommandName : undefined;
  try {
    const { values, positionals } = parseFlags(args, OPTIONS);
    return toCommand(positionals, values, split?.claude ?? []);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { cmd: "usage_error", message: err.message, ...(topic ? { topic } : {}) };
  }
}
