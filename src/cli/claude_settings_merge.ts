/**
 * Merging what ccp gives Claude Code into one of Claude Code's settings files, and taking it out
 * again, as pure functions over the parsed JSON. Every other key stays as it was. A value the user
 * set differently is kept and reported, never replaced. ccp notes the keys it wrote in one more
 * variable of the file's `env` block, so that taking them out leaves alone what the user had set
 * to the same value before.
 */

/** A settings file's top level, parsed. */
export type SettingsJson = Record<string, unknown>;

/** What ccp writes: `env` variables and the `statusLine` command. */
export interface CcpSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly statusLine?: Readonly<Record<string, unknown>>;
}

/** The variable naming the keys ccp wrote, space-separated (`statusLine` for the status line). */
export const WROTE_VARIABLE = "CCP_WROTE";

/** The name the status line goes by in {@link WROTE_VARIABLE}. */
const STATUS_LINE = "statusLine";

/** What happened (or would) to one key. */
export interface KeyChange {
  /** `env.NAME` or `statusLine`. */
  readonly key: string;
  readonly kind: "added" | "updated" | "kept-yours" | "unchanged" | "removed" | "left-yours";
}

/** A merge's result: the new file contents and a line's worth per key. */
export interface MergeResult {
  readonly next: SettingsJson;
  readonly changes: readonly KeyChange[];
  /** Whether `next` differs from what was read. */
  readonly changed: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `env` block, or an empty one; throws when it is there and not an object of strings. */
export function envBlock(settings: SettingsJson): Record<string, string> {
  const env = settings.env;
  if (env === undefined) return {};
  if (!isObject(env)) throw new TypeError('"env" is not an object');
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== "string") throw new TypeError(`"env.${name}" is not a string`);
  }
  return env as Record<string, string>;
}

/** The keys ccp noted it wrote. */
function wroteKeys(settings: SettingsJson): Set<string> {
  const value = envBlock(settings)[WROTE_VARIABLE] ?? "";
  return new Set(value.split(/\s+/).filter((word) => word !== ""));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `env` with the marker set to `wrote` (or removed when nothing is left), order kept. */
function withMarker(
  env: Record<string, string>,
  wrote: ReadonlySet<string>,
): Record<string, string> {
  const { [WROTE_VARIABLE]: _old, ...rest } = env;
  return wrote.size === 0 ? rest : { ...rest, [WROTE_VARIABLE]: [...wrote].sort().join(" ") };
}

/** `settings` with `env` replaced, or dropped when empty and it was not there before. */
function withEnv(settings: SettingsJson, env: Record<string, string>): SettingsJson {
  if (Object.keys(env).length === 0 && settings.env === undefined) return settings;
  if (Object.keys(env).length === 0) {
    const { env: _gone, ...rest } = settings;
    return rest;
  }
  return { ...settings, env };
}

/**
 * Writes `ours` into `settings`: a key that is absent is added, one ccp wrote before is brought
 * up to date (or taken out when ccp no longer gives it), one the user set to another value is kept
 * (and reported as such).
 */
export function installSettings(settings: SettingsJson, ours: CcpSettings): MergeResult {
  const env = { ...envBlock(settings) };
  const wrote = wroteKeys(settings);
  const changes: KeyChange[] = [];
  const place = (key: string, current: unknown, wanted: unknown, set: () => void) => {
    if (current === undefined) {
      set();
      wrote.add(key);
      changes.push({ key, kind: "added" });
    } else if (sameJson(current, wanted)) changes.push({ key, kind: "unchanged" });
    else if (wrote.has(key)) {
      set();
      changes.push({ key, kind: "updated" });
    } else changes.push({ key, kind: "kept-yours" });
  };
  for (const [name, value] of Object.entries(ours.env)) {
    place(name, env[name], value, () => (env[name] = value));
  }
  // A variable ccp wrote for an earlier config and no longer gives (a window now unknown, a token
  // now passed through) would otherwise stay in force with its stale value.
  for (const key of [...wrote]) {
    if (key === STATUS_LINE || Object.hasOwn(ours.env, key)) continue;
    wrote.delete(key);
    if (!Object.hasOwn(env, key)) continue;
    delete env[key];
    changes.push({ key, kind: "removed" });
  }
  let next: SettingsJson = settings;
  if (ours.statusLine !== undefined) {
    const line = ours.statusLine;
    place(STATUS_LINE, settings.statusLine, line, () => (next = { ...next, statusLine: line }));
  }
  next = withEnv(next, withMarker(env, wrote));
  return { next, changes: changes.map(named), changed: !sameJson(next, settings) };
}

/**
 * Takes out what ccp wrote: each key the marker names (the port or token may have changed since,
 * so an env value need not be today's), but a status line that no longer runs `ccp statusline`
 * is the user's and stays, reported. Everything else stays as it is.
 */
export function uninstallSettings(settings: SettingsJson, ours: CcpSettings): MergeResult {
  const env = { ...envBlock(settings) };
  const changes: KeyChange[] = [];
  let next: SettingsJson = settings;
  for (const key of wroteKeys(settings)) {
    if (key === STATUS_LINE) {
      if (settings.statusLine === undefined) continue;
      if (!isOurStatusLine(settings.statusLine, ours.statusLine)) {
        changes.push({ key, kind: "left-yours" });
        continue;
      }
      const { statusLine: _gone, ...rest } = next;
      next = rest;
    } else {
      if (!Object.hasOwn(env, key)) continue;
      delete env[key];
    }
    changes.push({ key, kind: "removed" });
  }
  next = withEnv(next, withMarker(env, new Set()));
  return { next, changes: changes.map(named), changed: !sameJson(next, settings) };
}

/** A status line ccp wrote: its command runs `ccp statusline` (from this or another install). */
function isOurStatusLine(current: unknown, ours: unknown): boolean {
  if (sameJson(current, ours)) return true;
  return isObject(current) && typeof current.command === "string" &&
    /(^|\s|')statusline($|\s)/.test(current.command);
}

/** Env keys as `env.NAME`, the status line as itself. */
function named(change: KeyChange): KeyChange {
  return change.key === STATUS_LINE ? change : { ...change, key: `env.${change.key}` };
}
