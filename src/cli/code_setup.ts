/**
 * What `ccp code` gives Claude Code besides the proxy's address: model discovery, the main
 * loop's context window for auto-compaction, auto mode's own check where the server's cannot
 * run, and `ccp statusline` as its status line.
 */

import { settingsFor } from "../config/settings_merge.ts";
import { ownValue } from "../core/json.ts";
import type { Config, Target } from "../config/types.ts";
import { dirnamePath, joinPath, resolvePath } from "../config/paths.ts";
import { autoModeEnv } from "./auto_mode.ts";
import type { CliContext } from "./context.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "./permissions.ts";
import { fileUrlToPath } from "./service_render.ts";

/** The routes Claude Code's main loop lands on: its opus and sonnet names, or the default. */
const MAIN_LOOP_ROUTES = ["opus", "sonnet", "default"] as const;

/**
 * A route's context window, when the config knows it: the largest along its chain, since a
 * prompt too long for one target goes on to the next larger one (a small local model first, a
 * large hosted one after it), and Claude Code must not compact while that one holds the session.
 * Unknown when a target of the chain declares none: it may hold more than any declared.
 */
function routeContextWindow(
  config: Config,
  route: string,
  learned: ReadonlyMap<string, number>,
): number | undefined {
  const chain = ownValue(config.routes, route) ?? [];
  let largest: number | undefined;
  for (const target of chain) {
    const provider = config.providers[target.provider];
    const window = provider
      ? target.settings?.contextWindow ?? settingsFor(provider, target.model).contextWindow ??
        learned.get(`${target.provider}/${target.model}`)
      : undefined;
    if (window === undefined) return undefined;
    largest = Math.max(largest ?? 0, window);
  }
  return largest;
}

/** The targets of the routes Claude Code's main loop may run on. */
export function mainLoopTargets(config: Config): Target[] {
  return MAIN_LOOP_ROUTES.flatMap((route) => ownValue(config.routes, route) ?? []);
}

/**
 * The smallest known window of the routes the main loop may run on: Claude Code compacts by one
 * window for the session, and a switch between opus and sonnet (or `opusplan`) must not take it
 * past the smaller model's.
 */
function mainLoopContextWindow(
  config: Config,
  learned: ReadonlyMap<string, number>,
): number | undefined {
  const windows = MAIN_LOOP_ROUTES.map((route) => routeContextWindow(config, route, learned))
    .filter((window): window is number => window !== undefined);
  return windows.length > 0 ? Math.min(...windows) : undefined;
}

/**
 * Claude Code reads a smaller `CLAUDE_CODE_AUTO_COMPACT_WINDOW` as this, and warns on every
 * start that the value was raised, telling the user to set at least this or unset it (a variable
 * they never set); below it only `CLAUDE_AUTOCOMPACT_PCT_OVERRIDE` moves the threshold.
 */
const MIN_COMPACT_WINDOW = 100_000;
/** What Claude Code keeps free for the answer; the percentage applies to the rest. */
const ANSWER_ROOM = 20_000;
/** Answer room plus the summary's; Claude Code compacts this far below a larger window. */
const COMPACT_ROOM = 33_000;

const COMPACT_VARIABLES = ["CLAUDE_CODE_AUTO_COMPACT_WINDOW", "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"];

/** Auto-compaction at the main loop's window, in the variables Claude Code honours. */
function compactEnv(window: number): Record<string, string> {
  // The value Claude Code would read anyway, so it has nothing to warn of.
  const env = { CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(Math.max(window, MIN_COMPACT_WINDOW)) };
  if (window >= MIN_COMPACT_WINDOW) return env;
  // The percentage, of what Claude Code makes of that, compacts at the larger of the model's
  // window less Claude Code's margin and half the window.
  const threshold = Math.max(window - COMPACT_ROOM, window / 2);
  const percent = Math.max(1, Math.floor(threshold / (MIN_COMPACT_WINDOW - ANSWER_ROOM) * 100));
  return { ...env, CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: String(percent) };
}

/**
 * The environment variables `ccp code` adds for Claude Code, leaving out those the user set
 * (the compaction variables act together, so setting one keeps ccp from setting either).
 * `learned`: the windows local servers said they run models with (`provider/model`), for
 * targets the config declares none for.
 */
export function codeEnv(
  config: Config,
  userEnv: Readonly<Record<string, string>> = {},
  learned: ReadonlyMap<string, number> = new Map(),
): Record<string, string> {
  const window = mainLoopContextWindow(config, learned);
  const compact = window !== undefined ? compactEnv(window) : {};
  const userCompacts = COMPACT_VARIABLES.some((name) => userEnv[name] !== undefined);
  const ours: Record<string, string> = {
    // `/model` then lists ccp's routes, aliases and provider models (GET /v1/models).
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
    // Claude Code assumes a large window for models it does not know and compacts too late.
    ...(userCompacts ? {} : compact),
    // Auto mode checks risky calls with Claude Code's own classifier where no server check runs.
    ...autoModeEnv(config),
  };
  return Object.fromEntries(Object.entries(ours).filter(([name]) => userEnv[name] === undefined));
}

// POSIX shell quoting: Claude Code runs the status line command through a shell.
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Where `ccp statusline` finds a session's usage: this run's config file and data dir, or the
 * ccp already running at `proxy` (its ledger may be in another data dir: only it can say).
 */
export interface LedgerPlace {
  readonly configFile?: string;
  readonly dataDir?: string;
  readonly proxy?: { readonly host: string; readonly port: number };
}

/** The ledger place of a loaded config; the file by absolute path (claude may change directory). */
export function ledgerPlace(ctx: CliContext, config: Config): LedgerPlace {
  const source = config.source;
  return {
    ...(source.kind === "file" ? { configFile: resolvePath(ctx.cwd, source.path) } : {}),
    ...(config.server.dataDir !== undefined ? { dataDir: config.server.dataDir } : {}),
  };
}

/** The shell command that runs `ccp statusline` for this ccp (compiled, or from source). */
function statuslineCommand(ctx: CliContext, place: LedgerPlace): string {
  // The config names a shared ledger (`shared.postgres`) when there is one.
  const own = [
    "statusline",
    ...(place.configFile !== undefined ? ["--config", place.configFile] : []),
    ...(place.proxy !== undefined
      ? ["--host", place.proxy.host, "--port", String(place.proxy.port)]
      : place.dataDir !== undefined
      ? ["--data-dir", place.dataDir]
      : []),
  ];
  if (ctx.standalone) return [ctx.execPath, ...own].map(shellQuote).join(" ");
  const main = fileUrlToPath(ctx.mainModule);
  const root = dirnamePath(dirnamePath(main));
  return [
    ctx.execPath,
    "run",
    "--quiet",
    ...RUNTIME_FLAGS,
    ...PERMISSION_FLAGS,
    "--config",
    joinPath(root, "deno.json"),
    main,
    ...own,
  ].map(shellQuote).join(" ");
}

/** Claude Code's `statusLine` setting that runs `ccp statusline` for this ccp. */
export function statusLineSetting(ctx: CliContext, place: LedgerPlace): Record<string, unknown> {
  return { type: "command", command: statuslineCommand(ctx, place), padding: 0 };
}

/**
 * `--settings` for claude: the status line, and the variables `ccp code` sets but its token.
 * Claude Code's settings files outrank its environment, and those given with `--settings`
 * outrank the files: an address that `ccp settings install` (or anyone) wrote there must not
 * send this run to another ccp. The token stays out: the command line is visible to every user
 * of the machine.
 */
export function statuslineSettings(
  ctx: CliContext,
  place: LedgerPlace,
  env: Readonly<Record<string, string>> = {},
): string[] {
  const settings = {
    statusLine: statusLineSetting(ctx, place),
    ...(Object.keys(env).length > 0 ? { env } : {}),
  };
  return ["--settings", JSON.stringify(settings)];
}
