/**
 * `ccp settings install|uninstall|status [--project] [--dry-run]`: points Claude Code at this ccp
 * through its own settings files, which the VS Code extension, the JetBrains plugin and a plain
 * `claude` in any terminal all read: the `env` block (`ccp code`'s variables) and the status
 * line. User settings by default, a project's `.claude/settings.local.json` with --project.
 * Claude Code's settings outrank the environment it starts in, so once they are written, a
 * shell's ANTHROPIC_BASE_URL no longer decides where it goes.
 */

import type { Config } from "../config/types.ts";
import { redactKey } from "../core/secrets.ts";
import type { CliFlags, SettingsAction } from "./args.ts";
import { cloudSwitches } from "./claude_spawn.ts";
import {
  projectSettingsPath,
  readSettings,
  settingsPlaces,
  userSettingsPath,
  writeSettings,
} from "./claude_settings_files.ts";
import {
  type CcpSettings,
  envBlock,
  installSettings,
  type KeyChange,
  type KeyStanding,
  keyStanding,
  type MergeResult,
  uninstallSettings,
  wroteKeys,
} from "./claude_settings_merge.ts";
import { codeEnv, ledgerPlace, statusLineSetting } from "./code_setup.ts";
import { claudeLogin, usesPassthrough } from "./claude_login.ts";
import { codeToken } from "./code_token.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { masked, SHOWN_TOKEN, shownJson } from "./settings_shown.ts";
import { probeHealth } from "./probe.ts";
import { clientHost, httpUrl } from "./startup.ts";

/** Options of `ccp settings`. */
export interface SettingsOptions {
  /** The project's `.claude/settings.local.json` instead of the user's settings. */
  readonly project?: boolean;
  /** Print what would change; change nothing. */
  readonly dryRun?: boolean;
}

/** The variable holding ccp's token: its value is never printed. */
const TOKEN = "ANTHROPIC_AUTH_TOKEN";

/** What ccp writes for a config, and the Claude login it leaves in place, if any. */
interface SettingsPlan {
  readonly settings: CcpSettings;
  /** The same with ccp's token written `<token>`, for the terminal. */
  readonly shown: CcpSettings;
  /** Where Claude Code's own login was found, when an `auth: passthrough` provider keeps it. */
  readonly login?: string;
}

/**
 * What ccp writes for this config: `ccp code`'s environment and its status line. With an
 * `auth: passthrough` provider and a Claude login, as `ccp code` does, no ANTHROPIC_AUTH_TOKEN
 * (it would replace the login) and ccp's token, when it has one, as `x-api-key` in
 * ANTHROPIC_CUSTOM_HEADERS.
 */
async function ccpSettings(ctx: CliContext, config: Config): Promise<SettingsPlan> {
  const host = clientHost(config.server.host);
  const url = httpUrl(host, config.server.port);
  const own = codeToken(config.server);
  const login = usesPassthrough(config)
    ? await claudeLogin(ctx.env, { os: ctx.os, home: ctx.home, cwd: ctx.cwd })
    : undefined;
  const auth = (token: string | undefined): Record<string, string> =>
    login === undefined
      ? { [TOKEN]: token ?? "ccp" }
      : token === undefined
      ? {}
      : { ANTHROPIC_CUSTOM_HEADERS: `x-api-key: ${token}` };
  const settings = {
    env: { ANTHROPIC_BASE_URL: url, ...auth(own), ...codeEnv(config) },
    // The status line asks the ccp at that address: its ledger may be in another data dir.
    statusLine: statusLineSetting(ctx, {
      ...ledgerPlace(ctx, config),
      proxy: { host, port: config.server.port },
    }),
  };
  const shown = own === undefined
    ? settings
    : { ...settings, env: { ...settings.env, ...auth(SHOWN_TOKEN) } };
  return login === undefined ? { settings, shown } : { settings, shown, login };
}

/** Runs `ccp settings <action>`; returns the exit code. */
export async function runSettings(
  ctx: CliContext,
  action: SettingsAction,
  flags: CliFlags,
  options: SettingsOptions = {},
): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  if (config.server.port === 0) {
    throw new CliError(
      "ccp settings needs the port Claude Code will find ccp on, not 0: give --port N " +
        "(or server.port), the same the running ccp uses",
    );
  }
  const plan = await ccpSettings(ctx, config);
  const ours = plan.settings;
  const own = codeToken(config.server);
  if (action === "status") return await settingsStatus(ctx, config, ours);
  const path = options.project
    ? projectSettingsPath(ctx.cwd, "settings.local.json")
    : userSettingsPath(ctx.env, ctx.cwd, ctx.home);
  if (path === undefined) {
    throw new CliError("no home directory is known (HOME is unset); set HOME, or use --project");
  }
  const before = await readSettings(path);
  let result: MergeResult;
  try {
    result = action === "install"
      ? installSettings(before.json, ours)
      : uninstallSettings(before.json, ours);
  } catch (err) {
    throw new CliError(`${path}: ${err instanceof Error ? err.message : err}; ccp changes nothing`);
  }
  for (const change of result.changes) {
    ctx.io.out(masked(changeLine(change, plan.shown, options.dryRun), own));
  }
  if (!result.changed) {
    ctx.io.out(`${path}: nothing to change`);
  } else if (options.dryRun) {
    ctx.io.out(`would write ${path}:`);
    ctx.io.out(shownJson(result.next, plan, own));
  } else {
    const holdsToken = own !== undefined &&
      JSON.stringify(result.next).includes(JSON.stringify(own).slice(1, -1));
    const { backup, narrowedFrom } = await writeSettings(path, result.next, before, holdsToken);
    ctx.io.out(
      `Wrote ${path}` +
        (backup === undefined
          ? ""
          : backup.kept === undefined
          ? ` (your file before ccp changed it: ${backup.path})`
          : ` (before this change: ${backup.path}; before ccp first changed it: ${backup.kept})`),
    );
    if (narrowedFrom !== undefined) {
      const [was, now] = [narrowedFrom, narrowedFrom & 0o700].map((m) => m.toString(8));
      ctx.io.out(
        `${path} holds this ccp's auth token, so other users may no longer read it: its mode ` +
          `was ${was}, it is now ${now}`,
      );
    }
  }
  if (action === "install") return installNotes(ctx, plan, own, result, path);
  for (const line of handSetLeft(result)) ctx.io.out(masked(line, own));
  return 0;
}

/**
 * What an uninstall leaves that ccp never wrote (one ccp wrote has a change line already): an
 * ANTHROPIC_BASE_URL Claude Code keeps going to, perhaps a port nothing listens on any more, and
 * a token it keeps sending. A token shows only its last characters.
 */
function handSetLeft(result: MergeResult): string[] {
  const env = envBlock(result.next);
  const lines: string[] = [];
  for (const [key, shown, still] of HAND_SET) {
    const value = env[key];
    if (value === undefined || result.changes.some((c) => c.key === `env.${key}`)) continue;
    lines.push(
      `left env.${key}=${shown(value)}: set by hand, not by ccp, so ccp leaves it; ${still}`,
    );
  }
  return lines;
}

const TOKEN_STILL = "Claude Code still sends it with its requests (remove it by hand if it was " +
  "meant for a ccp)";
const HAND_SET: ReadonlyArray<readonly [string, (value: string) => string, string]> = [
  [
    "ANTHROPIC_BASE_URL",
    (url) => url,
    "Claude Code still sends its requests there (remove it by hand if nothing will answer there)",
  ],
  [TOKEN, redactKey, TOKEN_STILL],
  ["ANTHROPIC_API_KEY", redactKey, TOKEN_STILL],
];

/** One line per key: what happened (or would). */
function changeLine(change: KeyChange, ours: CcpSettings, dryRun = false): string {
  const name = change.key.replace(/^env\./, "");
  const value = change.key === "statusLine" ? "ccp statusline" : ours.env[name] ?? "";
  const would = (done: string, todo: string) => dryRun ? todo : done;
  switch (change.kind) {
    case "added":
      return `${would("added", "would add")} ${change.key}: ${value}`;
    case "updated":
      return `${would("updated", "would update")} ${change.key}: ${value}`;
    case "unchanged":
      return `already set: ${change.key}`;
    case "kept-yours":
      return `kept your ${change.key} (ccp would write ${value}): change or remove it by hand ` +
        "for ccp's to apply";
    case "removed":
      return `${would("removed", "would remove")} ${change.key}`;
    case "left-yours":
      return change.key === "statusLine"
        ? `left ${change.key}: it no longer runs ccp statusline, so it is yours`
        : `left ${change.key}: edited by hand since ccp wrote it, so it is yours`;
  }
}

/** After install: the token said plainly, conflicts, and whether a ccp runs there. */
async function installNotes(
  ctx: CliContext,
  plan: SettingsPlan,
  own: string | undefined,
  result: MergeResult,
  path: string,
): Promise<number> {
  const written = result.changes.some((c) =>
    (c.kind === "added" || c.kind === "updated") &&
    (c.key === `env.${TOKEN}` || c.key === "env.ANTHROPIC_CUSTOM_HEADERS")
  );
  if (plan.login !== undefined) {
    ctx.io.out(
      `Claude Code keeps its Claude login (found in ${plan.login}) for the auth: passthrough ` +
        "provider: no ANTHROPIC_AUTH_TOKEN" +
        (own === undefined ? "" : "; ccp's token goes as x-api-key in ANTHROPIC_CUSTOM_HEADERS"),
    );
  }
  if (written) {
    ctx.io.out(
      own === undefined
        ? `${TOKEN} is "ccp", a stand-in: this ccp has no auth token and takes any, but ` +
          "Claude Code needs one to skip its login"
        : `this ccp's auth token is written as it stands: whoever can read ${path} can use this ` +
          "ccp (no provider key is written)",
    );
  }
  const blocked = result.changes.filter((c) =>
    c.kind === "kept-yours" &&
    ["env.ANTHROPIC_BASE_URL", `env.${TOKEN}`, "env.ANTHROPIC_CUSTOM_HEADERS"].includes(c.key)
  );
  if (blocked.length > 0) {
    ctx.io.out("Claude Code will not reach this ccp while your own values above stay");
  }
  await runningLine(ctx, plan.settings.env.ANTHROPIC_BASE_URL ?? "");
  ctx.io.out(
    "Claude Code reads its settings when it starts: restart it (in VS Code or JetBrains, open a " +
      "new Claude Code tab or reload the window)",
  );
  return blocked.length > 0 ? 1 : 0;
}

/** Whether a ccp answers at `url`, and how to keep one there. */
async function runningLine(ctx: CliContext, url: string): Promise<boolean> {
  const found = (await probeHealth(url)).found;
  if (found === "ccp") ctx.io.out(`ccp is running at ${url}`);
  else if (found === "other") {
    // The words `ccp serve` and `ccp code` use for the same port, with what moving means here.
    ctx.io.out(
      `something else is using ${url} (not a ccp), and Claude Code would send its requests to ` +
        "it: stop that program, or choose another port for ccp with --port N or CCP_PORT and " +
        `run \`${ccpCommand(ctx)} settings install\` with it`,
    );
  } else {
    ctx.io.out(
      `ccp is not running at ${url}: start it with \`${ccpCommand(ctx)}\`, or keep it ` +
        `running with \`${ccpCommand(ctx)} service install\``,
    );
  }
  return found === "ccp";
}

/**
 * Where Claude Code started here goes: the files it reads, each with the address it sets, the
 * one that wins, and whether ccp answers there. Exits 0 when Claude Code will reach this ccp.
 */
async function settingsStatus(
  ctx: CliContext,
  config: Config,
  ours: CcpSettings,
): Promise<number> {
  const url = ours.env.ANTHROPIC_BASE_URL ?? "";
  let address: { value: string; path: string } | undefined;
  let token: string | undefined;
  for (const place of settingsPlaces(ctx.env, ctx.cwd, ctx.os, ctx.home)) {
    let env: Record<string, string>;
    let exists: boolean;
    let standing: string[];
    try {
      const read = await readSettings(place.path);
      env = envBlock(read.json);
      exists = read.exists;
      standing = standingLines(read.json, ours);
    } catch (err) {
      ctx.io.out(`${place.scope}: ${err instanceof Error ? err.message : err}`);
      continue;
    }
    if (!exists) {
      if (place.scope === "user") ctx.io.out(`${place.scope}: ${place.path} (not there)`);
      continue;
    }
    const base = env.ANTHROPIC_BASE_URL;
    const mark = MARKS[keyStanding({ env }, "ANTHROPIC_BASE_URL", url)];
    ctx.io.out(
      `${place.scope}: ${place.path}: ` +
        (base !== undefined ? `ANTHROPIC_BASE_URL=${base}${mark}` : "no ANTHROPIC_BASE_URL"),
    );
    for (const line of standing) ctx.io.out(`  ${line}`);
    if (base !== undefined) address = { value: base, path: place.path };
    if (env[TOKEN] !== undefined) token = env[TOKEN];
  }
  const cloud = cloudSwitches(ctx.env);
  if (address === undefined) {
    ctx.io.out(
      `Claude Code goes to Anthropic unless its environment says otherwise: ` +
        `\`${ccpCommand(ctx)} settings install\` points it at ${url}`,
    );
    return 1;
  }
  const reaches = sameAddress(address.value, url);
  ctx.io.out(
    reaches
      ? `Claude Code goes to this ccp (${url}), from ${address.path}`
      : `Claude Code goes to ${address.value} (from ${address.path}), not to this ccp at ${url}`,
  );
  const expected = ours.env[TOKEN];
  if (reaches && expected !== undefined && token !== expected && codeToken(config.server)) {
    ctx.io.out(`its ${TOKEN} is not this ccp's token: this ccp will answer 401`);
  }
  if (cloud.length > 0) {
    ctx.io.out(
      `in this shell: ${cloud.join(", ")}: a claude started here sends its requests to that ` +
        "cloud, not to ccp",
    );
  }
  await runningLine(ctx, url);
  return reaches ? 0 : 1;
}

/** What `status` says of the address a file sets: who set it, and whether it is still ccp's. */
const MARKS: Readonly<Record<KeyStanding, string>> = {
  absent: "",
  yours: " (set by hand, not by ccp)",
  ccp: " (written by ccp settings install)",
  stale: " (written by ccp settings install for another config: stale)",
  edited: " (written by ccp settings install, then edited by hand)",
};

/**
 * The keys of a settings file ccp wrote for another config (stale: install brings them up to
 * date or takes them out) and those edited by hand since ccp wrote them (install keeps them).
 */
function standingLines(json: Record<string, unknown>, ours: CcpSettings): string[] {
  const wanted = (key: string) => key === "statusLine" ? ours.statusLine : ours.env[key];
  const keys = new Set([
    ...Object.keys(ours.env),
    ...(ours.statusLine ? ["statusLine"] : []),
    ...wroteKeys(json).keys(),
  ]);
  const named = (standing: KeyStanding) =>
    [...keys].filter((key) => keyStanding(json, key, wanted(key)) === standing)
      .map((key) => key === "statusLine" ? key : `env.${key}`);
  const stale = named("stale");
  const edited = named("edited");
  return [
    ...(stale.length === 0 ? [] : [
      `stale, as ccp wrote them for another config: ${stale.join(", ")} ` +
      `(\`ccp settings install\` brings them up to date)`,
    ]),
    ...(edited.length === 0 ? [] : [
      `edited by hand since ccp wrote them: ${edited.join(", ")} ` +
      "(ccp settings install and uninstall leave them as they are)",
    ]),
  ];
}

/** Whether two base URLs name the same place (a trailing slash aside). */
function sameAddress(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
