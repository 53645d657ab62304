/**
 * Reloads the config when its file or the `.env` beside it is saved. Editors save in different
 * ways (in place, to a temporary file renamed over the old one, delete then create), each a burst
 * of events: the directory is watched, so a file renamed over the config is seen, and a burst
 * settles into one reload. A file that is a symbolic link is watched where it leads as well.
 */

import type { Config } from "../config/types.ts";
import { messageOf } from "../core/errors.ts";
import { dirnamePath, joinPath } from "../config/paths.ts";
import { baseName, DirWatches, linkTargets } from "./config_links.ts";
import { readTextCapped } from "../config/read_capped.ts";

/** How long the files must stay quiet before a reload: one save is several events. */
const SETTLE_MS = 250;

/** The directory to watch and the names in it that a reload reads. */
export interface WatchedFiles {
  readonly dir: string;
  /** The config file's name, one of `names`. */
  readonly config: string;
  readonly names: ReadonlySet<string>;
}

/** The config file and its `.env`; undefined for a config from variables or the built-in one. */
export function watchedFiles(config: Config): WatchedFiles | undefined {
  if (config.source.kind !== "file") return undefined;
  const path = config.source.path;
  const name = baseName(path);
  return { dir: dirnamePath(path), config: name, names: new Set([name, ".env"]) };
}

/**
 * Whether an event of a (not recursive) directory watch touches a watched file, or a file one of
 * them links to (`linked`, names too); a rename names both ends, and either one counts. Names only:
 * the platform may spell the directory its own way (a symbolic link resolved).
 */
export function touchesWatched(
  event: Deno.FsEvent,
  files: WatchedFiles,
  linked: ReadonlySet<string> = new Set(),
): boolean {
  // Reading a file changes nothing.
  if (event.kind === "access") return false;
  // The directory removed: the platform may report only that, not the files that went with it.
  const dir = event.kind === "remove" ? baseName(trimmedDir(files.dir)) : undefined;
  return event.paths.some((path) => {
    const name = baseName(path);
    return files.names.has(name) || linked.has(name) || name === dir;
  });
}

function trimmedDir(dir: string): string {
  return dir.length > 1 ? dir.replace(/[\\/]+$/, "") : dir;
}

/**
 * Runs `run` once `delayMs` after the last `poke`. A poke while `run` is in progress leads to one
 * more run after it, never to two at once.
 */
export class Settler {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(private readonly run: () => Promise<void>, private readonly delayMs: number) {}

  /** Something changed: (re)starts the wait. */
  poke(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fire();
    }, this.delayMs);
  }

  #fire(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.run().catch(() => {}).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#fire();
      }
    });
  }

  /** Cancels a pending run and waits for the one in progress, if any. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    while (this.#running) await this.#running;
  }
}

/** What {@link watchConfig} needs. */
export interface WatchOptions {
  readonly files: WatchedFiles;
  /** Reloads the config (the same reload as a SIGHUP's). */
  readonly reload: () => Promise<unknown>;
  /** Told why the files cannot be watched (ccp runs on without it). */
  readonly warn: (text: string) => void;
  readonly delayMs?: number;
}

/** A running watch. */
export interface ConfigWatch {
  /** Notes the files' bytes as read now: a reload from elsewhere (SIGHUP) has read them. */
  remember(): Promise<void>;
  /** Stops watching and waits for a reload in progress. */
  close(): Promise<void>;
}

/** Each watched file's bytes by name: "absent" when it is not there, a reason when unreadable. */
type Snapshot = ReadonlyMap<string, string>;

/** Reads the watched files; a missing one (between delete and create) reads as absent. */
async function snapshot(files: WatchedFiles): Promise<Snapshot> {
  const names = [...files.names];
  const parts = await Promise.all(names.map(async (name) => {
    try {
      return JSON.stringify(await readTextCapped(joinPath(files.dir, name)));
    } catch (err) {
      // Unreadable is a change the reload reports; only a file not there is waited for.
      return err instanceof Deno.errors.NotFound ? ABSENT : `unreadable: ${messageOf(err)}`;
    }
  }));
  return new Map(names.map((name, i) => [name, parts[i]!]));
}

const ABSENT = "absent";

function same(a: Snapshot, b: Snapshot): boolean {
  return [...a].every(([name, bytes]) => b.get(name) === bytes);
}

/**
 * The watched files the running config was read with that are not there now (deleted, or moved
 * away): the config file, or a `.env` whose variables it holds. A `.env` there was none of is not
 * missed.
 */
function missing(last: Snapshot, now: Snapshot): string[] {
  return [...now].filter(([name, bytes]) => bytes === ABSENT && last.get(name) !== ABSENT)
    .map(([name]) => name);
}

/** The warning for a watched file gone: a directory removed is not watched when it is back. */
async function goneText(files: WatchedFiles, name: string): Promise<string> {
  const dirGone = await Deno.lstat(files.dir).then(() => false, () => true);
  if (dirGone) {
    return `${files.dir} is gone: saves are no longer watched; the config loaded stays, and ` +
      "SIGHUP reloads it";
  }
  const what = name === files.config ? "" : " (with the variables it set)";
  return `${joinPath(files.dir, name)} is gone: the config loaded stays${what}, until the file ` +
    "is back or a SIGHUP reloads";
}

/**
 * Watches `files.dir` and reloads when a watched file's bytes change. While a file the running
 * config was read from is gone once the saves settle, nothing is reloaded: without the config file
 * the search would fall through to another file or to the built-in config from variables, and
 * without the `.env` every variable it set (keys, the auth token) would read as unset. A watched
 * file that is a link is followed again at each settle: a link pointed elsewhere is watched there.
 */
export async function watchConfig(options: WatchOptions): Promise<ConfigWatch> {
  const { files } = options;
  let last = await snapshot(files);
  let saidGone = false;
  let linked: ReadonlySet<string> = new Set();
  const settler = new Settler(async () => {
    await follow();
    const now = await snapshot(files);
    const gone = missing(last, now);
    if (gone.length > 0) {
      if (!saidGone) options.warn(await goneText(files, gone[0]!));
      saidGone = true;
      return;
    }
    saidGone = false;
    // Saved without a change (or touched, or back as it was): nothing to reload, nothing to say.
    if (same(now, last)) return;
    last = now;
    await options.reload();
  }, options.delayMs ?? SETTLE_MS);
  const watches = new DirWatches((event) => {
    if (touchesWatched(event, files, linked)) settler.poke();
  });
  const cannotWatch = new Set<string>();
  /** Watches where the links lead now, and no longer where they led before. */
  const follow = async () => {
    const targets = await linkTargets(files.dir, files.names);
    linked = targets.names;
    for (const dir of targets.dirs) {
      try {
        watches.add(dir);
      } catch (err) {
        if (!cannotWatch.has(dir)) {
          options.warn(
            `Cannot watch ${dir}, where the config's link leads, for saves (${messageOf(err)}); ` +
              "SIGHUP reloads it",
          );
        }
        cannotWatch.add(dir);
      }
    }
    await watches.retain(new Set([files.dir, ...targets.dirs]));
  };
  try {
    watches.add(files.dir);
  } catch (err) {
    // Out of inotify instances, say: a reload on save is a convenience, not a reason to stop.
    options.warn(
      `Cannot watch ${files.dir} for saves of the config (${messageOf(err)}); SIGHUP reloads it`,
    );
    return { remember: () => Promise.resolve(), close: () => Promise.resolve() };
  }
  await follow();
  let closed: Promise<void> | undefined;
  return {
    remember: async () => void (last = await snapshot(files)),
    close: () =>
      closed ??= (async () => {
        await watches.close();
        await settler.close();
      })(),
  };
}
