/**
 * Claude Code's settings files: where they are, reading one (a file that is not a JSON object is
 * an error, never overwritten), and writing one atomically with a backup of what it replaced.
 */

import { dirnamePath, joinPath, resolvePath } from "../config/paths.ts";
import { homeDir } from "../config/search.ts";
import { notAsRoot, otherOwner } from "../core/other_owner.ts";
import { type CliContext, CliError } from "./context.ts";
import type { SettingsJson } from "./claude_settings_merge.ts";

/** One settings file, in Claude Code's order of precedence (later ones win). */
export interface SettingsPlace {
  /** `user`, `project`, `local` or `managed`. */
  readonly scope: "user" | "project" | "local" | "managed";
  readonly path: string;
}

/**
 * Claude Code's user settings: `settings.json` in `$CLAUDE_CONFIG_DIR` (relative to where claude
 * starts), else in `~/.claude`. Undefined without a home.
 */
export function userSettingsPath(
  env: Readonly<Record<string, string>>,
  cwd: string,
  home?: string,
): string | undefined {
  const own = env.CLAUDE_CONFIG_DIR;
  if (own) return joinPath(resolvePath(cwd, own), "settings.json");
  const base = homeDir(env, home);
  return base === undefined ? undefined : joinPath(base, ".claude", "settings.json");
}

/** Where an administrator's settings live; they win over every other file. */
function managedSettingsPath(os: typeof Deno.build.os): string | undefined {
  if (os === "linux") return "/etc/claude-code/managed-settings.json";
  if (os === "darwin") return "/Library/Application Support/ClaudeCode/managed-settings.json";
  if (os === "windows") return "C:\\Program Files\\ClaudeCode\\managed-settings.json";
  return undefined;
}

/** The files Claude Code started in `cwd` reads, lowest precedence first. */
export function settingsPlaces(
  env: Readonly<Record<string, string>>,
  cwd: string,
  os: typeof Deno.build.os,
  home?: string,
): SettingsPlace[] {
  const user = userSettingsPath(env, cwd, home);
  const managed = managedSettingsPath(os);
  const places: SettingsPlace[] = [
    ...(user !== undefined ? [{ scope: "user" as const, path: user }] : []),
    { scope: "project", path: projectSettingsPath(cwd, "settings.json") },
    { scope: "local", path: projectSettingsPath(cwd, "settings.local.json") },
    ...(managed !== undefined ? [{ scope: "managed" as const, path: managed }] : []),
  ];
  // Started in the home directory, the project's file is the user's: one file, read once.
  return places.filter((place, i) => places.findIndex((p) => p.path === place.path) === i);
}

/** `.claude/<name>` of the project in `cwd`. */
export function projectSettingsPath(cwd: string, name: string): string {
  return joinPath(cwd, ".claude", name);
}

/** A settings file as read: its JSON (empty when absent), and whether it was there. */
export interface ReadSettings {
  readonly json: SettingsJson;
  readonly exists: boolean;
  /** The text as read, for the backup. */
  readonly text?: string;
}

/** Reads a settings file; throws CliError (changing nothing) when it is not a JSON object. */
export async function readSettings(path: string): Promise<ReadSettings> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { json: {}, exists: false };
    throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : err}`);
  }
  if (text.trim() === "") return { json: {}, exists: true, text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `${path} is not valid JSON (${err instanceof Error ? err.message : err}); ` +
        "ccp changes nothing in it: fix it (or move it away) and run this again",
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${path} does not hold a JSON object; ccp changes nothing in it`);
  }
  return { json: parsed as SettingsJson, exists: true, text };
}

/**
 * The backups of a settings file: what it held before ccp first changed it (kept from then on: a
 * second install once wrote over it, and the user's own file was gone), and before ccp's latest
 * change, when that is another.
 */
function backupPaths(path: string): { readonly first: string; readonly latest: string } {
  return { first: `${path}.ccp-backup`, latest: `${path}.ccp-backup.latest` };
}

/** Where {@link writeSettings} put the text it replaced, and the first backup it kept. */
export interface Backup {
  readonly path: string;
  /** The backup of the file before ccp first changed it, when `path` is not that one. */
  readonly kept?: string;
}

/** What {@link writeSettings} did besides writing. */
export interface SettingsWritten {
  /** Where the text before the change was kept. */
  readonly backup?: Backup;
  /** The mode the file had, when writing ccp's token into it took its group and other bits. */
  readonly narrowedFrom?: number;
}

/**
 * Writes `json` to the file behind `path` (through a symlink, as a dotfile manager links it):
 * the previous text goes to a backup first (the first backup when there is none yet, else the
 * latest), then a temporary file beside the target is renamed over it, so Claude Code never reads
 * half a file. A new file is readable by its owner alone (it may hold ccp's token), and so are the
 * backups; an existing one keeps its mode, less its group and other bits when `holdsToken`
 * (whoever reads the file can use ccp). The backup and the target are each replaced by a file
 * ccp has just made, never written through a link found at their place; and a file that changed
 * since it was read (`before`) is left as it is, since writing would undo that other change.
 */
export async function writeSettings(
  path: string,
  json: SettingsJson,
  before: ReadSettings,
  holdsToken = false,
): Promise<SettingsWritten> {
  const target = await linkTarget(path);
  // Where the link is, as much as where it points: its owner chose the target.
  for (const place of new Set([path, target])) await refuseOtherUsers(place);
  let backup: Backup | undefined;
  let narrowedFrom: number | undefined;
  try {
    await Deno.mkdir(dirnamePath(target), { recursive: true });
    let mode = 0o600;
    if (before.exists) {
      mode = ((await Deno.stat(target)).mode ?? 0o600) & 0o777;
      if (holdsToken && (mode & 0o077) !== 0 && Deno.build.os !== "windows") {
        narrowedFrom = mode;
        mode &= 0o700;
      }
      const { first, latest } = backupPaths(target);
      const firstKept = await Deno.lstat(first).then((info) => info.isFile, () => false);
      backup = firstKept ? { path: latest, kept: first } : { path: first };
      await replaceFile(backup.path, before.text ?? "", 0o600);
    }
    const now = await Deno.readTextFile(target).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    });
    if (now !== (before.exists ? before.text ?? "" : undefined)) {
      throw new Error(
        "another program (Claude Code itself, or an editor) changed it since ccp read it; run " +
          "this again to change what it holds now",
      );
    }
    await replaceFile(target, `${JSON.stringify(json, null, 2)}\n`, mode);
  } catch (err) {
    throw new CliError(
      `cannot write ${target}${backup !== undefined ? ` (or its backup ${backup.path})` : ""}: ` +
        `${err instanceof Error ? err.message : err}; ccp changed nothing in it`,
    );
  }
  return {
    ...(backup !== undefined ? { backup } : {}),
    ...(narrowedFrom !== undefined ? { narrowedFrom } : {}),
  };
}

/**
 * Puts a file with `text` and `mode` at `path` in one step: a new file beside it (made here, so
 * never an existing file or a link another user put there) renamed over it. A link at `path` is
 * replaced, not written through.
 */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.ccp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { createNew: true, mode });
    // A new file's mode is what the umask leaves of `mode`: the file it replaces keeps its own.
    if (Deno.build.os !== "windows") await Deno.chmod(temporary, mode);
    await Deno.rename(temporary, path);
  } catch (err) {
    await Deno.remove(temporary).catch(() => {});
    throw err;
  }
}

/** Refuses to write as root where another user owns the file or a directory above (otherOwner). */
async function refuseOtherUsers(place: string): Promise<void> {
  const other = await otherOwner(place);
  if (other) throw new CliError(`${notAsRoot(other)}; ccp changed nothing`);
}

/**
 * The file a write to `path` lands in: through symlinks, even one whose target is not there yet
 * (a dotfile manager's link before its first write), so that the link is never replaced.
 */
async function linkTarget(path: string): Promise<string> {
  let target = path;
  for (let hops = 0; hops < 40; hops++) {
    const link = await Deno.readLink(target).catch(() => undefined);
    if (link === undefined) return target;
    target = resolvePath(dirnamePath(target), link);
  }
  return target;
}

/** The value of `env.<name>` that wins among the settings files, and the file it comes from. */
async function settingsEnvValue(
  places: readonly SettingsPlace[],
  name: string,
): Promise<{ readonly value: string; readonly path: string } | undefined> {
  let found: { value: string; path: string } | undefined;
  for (const place of places) {
    const env = (await readSettings(place.path).catch(() => undefined))?.json.env;
    const value = typeof env === "object" && env !== null ? Reflect.get(env, name) : undefined;
    if (typeof value === "string") found = { value, path: place.path };
  }
  return found;
}

/**
 * The line `ccp code` prints when a settings file sets another ANTHROPIC_AUTH_TOKEN than the one
 * it gives claude: the file's wins, and ccp would refuse it when ccp has a token.
 */
export async function settingsTokenNote(
  ctx: Pick<CliContext, "env" | "cwd" | "os" | "home">,
  token: string | undefined,
): Promise<string | undefined> {
  if (token === undefined) return undefined;
  const places = settingsPlaces(ctx.env, ctx.cwd, ctx.os, ctx.home);
  const set = await settingsEnvValue(places, "ANTHROPIC_AUTH_TOKEN");
  if (set === undefined || set.value === token) return undefined;
  return `ccp: ${set.path} sets ANTHROPIC_AUTH_TOKEN, and Claude Code takes it over the one ccp ` +
    "code gives it: with a token of its own, this ccp refuses it (`ccp settings install` writes " +
    "this ccp's token there)";
}
