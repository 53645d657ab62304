/**
 * Whether ccp, run as root, is about to write where another user owns the place (`sudo` keeping
 * HOME, as macOS's does): that user can put a link where ccp writes between its steps, and root
 * would write through it into any file (and Deno has no call that writes, or changes an owner,
 * without following links). Such a place is the user's to write in, as that user.
 */

import { dirnamePath, resolvePath } from "../config/paths.ts";

/** A place another user owns: the path (`path` or a directory above it) and its owner. */
export interface OtherOwner {
  readonly path: string;
  readonly uid: number;
}

/**
 * `path` or a directory above it that another user owns, with that owner, when ccp runs as root;
 * undefined otherwise. Any of them: the owner of a directory may replace what is in it (a
 * directory of root's inside the user's home too), and a link or a hard link of the user's at
 * `path` may point to a file of root's.
 */
export async function otherOwner(path: string): Promise<OtherOwner | undefined> {
  if (Deno.build.os === "windows" || Deno.uid() !== 0) return undefined;
  for (let at = resolvePath(Deno.cwd(), path);; at = dirnamePath(at)) {
    const uid = await Deno.lstat(at).then((info) => info.uid, () => null);
    if (uid !== null && uid !== 0) return { path: at, uid };
    if (dirnamePath(at) === at) return undefined;
  }
}

/** Why root does not write in a place another user owns, for an error or a warning. */
export function notAsRoot({ path, uid }: OtherOwner): string {
  return `${path} belongs to user ${uid}, and ccp runs as root (sudo keeps HOME on some ` +
    "systems): that user could have root write through a link into any file. Run the " +
    "command as that user, without sudo";
}
