/**
 * A config file or `.env` that is a symbolic link (stow, chezmoi, home-manager) is saved where the
 * link leads, often another directory, and a watch of the link's own directory sees nothing of it.
 * Following each link, hop by hop, gives the directories to watch as well and the names saved there.
 */

import { dirnamePath, isAbsolutePath, joinPath } from "../config/paths.ts";

/** More hops than any dotfiles manager makes; a loop of links stops here. */
const MAX_HOPS = 8;

/** Where the links among the watched files lead: each hop's directory, and its file's name. */
export interface LinkTargets {
  readonly dirs: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
}

/** Follows `names` in `dir` that are links; a file that is not one adds nothing. */
export async function linkTargets(dir: string, names: Iterable<string>): Promise<LinkTargets> {
  const dirs = new Set<string>();
  const found = new Set<string>();
  for (const name of names) {
    let at = joinPath(dir, name);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      let target: string;
      try {
        target = await Deno.readLink(at);
      } catch {
        // Not a link (or not there): the chain ends at this file.
        break;
      }
      at = isAbsolutePath(target) ? target : joinPath(dirnamePath(at), target);
      dirs.add(dirnamePath(at));
      found.add(baseName(at));
    }
  }
  return { dirs, names: found };
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

interface OpenWatch {
  readonly watcher: Deno.FsWatcher;
  readonly done: Promise<void>;
}

/** Directory watches (not recursive) that hand every event to one listener. */
export class DirWatches {
  readonly #open = new Map<string, OpenWatch>();
  #closed = false;

  constructor(private readonly onEvent: (event: Deno.FsEvent) => void) {}

  /** Watches `dir` unless it is already; throws when it cannot be watched. */
  add(dir: string): void {
    if (this.#closed || this.#open.has(dir)) return;
    const watcher = Deno.watchFs(dir, { recursive: false });
    this.#open.set(dir, { watcher, done: this.#listen(dir, watcher) });
  }

  async #listen(dir: string, watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) this.onEvent(event);
    } catch {
      // The directory went away: nothing more to watch there.
    }
    // Made again later, a link's directory is watched anew when the link is next followed.
    if (this.#open.get(dir)?.watcher === watcher) this.#open.delete(dir);
  }

  /** Stops watching each directory but those in `keep`. */
  async retain(keep: ReadonlySet<string>): Promise<void> {
    const dropped = [...this.#open].filter(([dir]) => !keep.has(dir));
    for (const [dir] of dropped) this.#open.delete(dir);
    await Promise.all(dropped.map(([, entry]) => stop(entry)));
  }

  /** Stops every watch; none is added after. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.retain(new Set());
  }
}

async function stop(entry: OpenWatch): Promise<void> {
  try {
    entry.watcher.close();
  } catch {
    // Already closed when its directory went away.
  }
  await entry.done;
}
