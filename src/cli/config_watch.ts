/**
 * Reloads the config when its file or the `.env` beside it is saved. Editors save in different
 * ways (in place, to a temporary file renamed over the old one, delete then create), each a burst
 * of events: the directory is watched, so a file renamed over the config is seen, and a burst
 * settles into one reload.
 */

import type { Config } from "../config/types.ts";
import { messageOf } from "../core/errors.ts";
import { dirnamePath, joinPath } from "../config/paths.ts";

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

/** The last segment of a path. */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/**
 * Whether an event of the (not recursive) directory watch touches a watched file; a rename names
 * both ends, and either one counts. Names only: the platform may spell the directory its own way
 * (a symbolic link resolved).
 */
export function touchesWatched(event: Deno.FsEvent, files: WatchedFiles): boolean {
  // Reading a file changes nothing.
  if (event.kind === "access") return false;
  // The directory removed: the platform may report only that, not the files that went with it.
  const dir = event.kind === "remove" ? baseName(trimmedDir(files.dir)) : undefined;
  return event.paths.some((path) => files.names.has(baseName(path)) || baseName(path) === dir);
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

/** Reads the watched files; a missing one (between delete and create) reads as absent. */
async function snapshot(files: WatchedFiles): Promise<string> {
  const parts = await Promise.all([...files.names].map(async (name) => {
    try {
      return JSON.stringify(await Deno.readTextFile(joinPath(files.dir, name)));
    } catch {
      return "absent";
    }
  }));
  return parts.join("\n");
}

/** Whether the config file is not there (deleted, or moved away). */
async function gone(files: WatchedFiles): Promise<boolean> {
  try {
    await Deno.lstat(joinPath(files.dir, files.config));
    return false;
  } catch (err) {
    return err instanceof Deno.errors.NotFound;
  }
}

/** The warning for a config file gone: a directory removed is not watched when it is back. */
async function goneText(files: WatchedFiles): Promise<string> {
  const dirGone = await Deno.lstat(files.dir).then(() => false, () => true);
  return dirGone
    ? `${files.dir} is gone: saves are no longer watched; the config loaded stays, and SIGHUP ` +
      "reloads it"
    : `${joinPath(files.dir, files.config)} is gone: the config loaded stays, until the file is ` +
      "back or a SIGHUP reloads";
}

/**
 * Watches `files.dir` and reloads when a watched file's bytes change. A config file that is gone
 * once the saves settle is not reloaded: the search would fall through to another file or to the
 * built-in config from variables, and the token and clients the file set would go with it.
 */
export async function watchConfig(options: WatchOptions): Promise<ConfigWatch> {
  const { files } = options;
  let last = await snapshot(files);
  let saidGone = false;
  const settler = new Settler(async () => {
    const now = await snapshot(files);
    // Saved without a change (or touched): nothing to reload, nothing to say.
    if (now === last) return;
    if (await gone(files)) {
      if (!saidGone) options.warn(await goneText(files));
      saidGone = true;
      return;
    }
    saidGone = false;
    last = now;
    await options.reload();
  }, options.delayMs ?? SETTLE_MS);
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(files.dir, { recursive: false });
  } catch (err) {
    // Out of inotify instances, say: a reload on save is a convenience, not a reason to stop.
    options.warn(
      `Cannot watch ${files.dir} for saves of the config (${messageOf(err)}); SIGHUP reloads it`,
    );
    return { remember: () => Promise.resolve(), close: () => Promise.resolve() };
  }
  const watching = (async () => {
    try {
      for await (const event of watcher) {
        if (touchesWatched(event, files)) settler.poke();
      }
    } catch {
      // The directory went away: nothing more to watch.
    }
  })();
  let closed: Promise<void> | undefined;
  return {
    remember: async () => void (last = await snapshot(files)),
    close: () =>
      closed ??= (async () => {
        try {
          watcher.close();
        } catch {
          // Already closed when its directory went away.
        }
        await watching;
        await settler.close();
      })(),
  };
}
