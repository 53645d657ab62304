/**
 * The connection guard's private directories (`ccp-<pid>-<random>` in the temp dir, mode 0700,
 * holding one Unix socket), and the sweep that removes those a ccp left behind. A ccp killed
 * with SIGKILL (an OOM kill, a crashed test) never removes its own, and a service restarted
 * after each such kill would add one every time. At start ccp removes only what it can prove is
 * a dead ccp's: a directory of this user, named and shaped as ccp makes them, older than a minute,
 * holding nothing but a socket that nobody listens on, or nothing at all. A running ccp's
 * directory holds its listening socket from the moment after it is made until it is removed, so
 * neither can be one. (Whether the pid in the name runs cannot be asked: Deno reads no `/proc`
 * without --allow-all, and a signal to a pid that was reused would reach another program. The pid
 * says whose a directory was.) Anything else is left as it is.
 *
 * What the sweep costs is the listing of the temp dir: nothing measurable with a few dozen
 * entries, ~3 MB of an idle ccp's memory with ~1,900 (measured on a /tmp full of test debris).
 */

import { type Cancel, deadline } from "../core/deadlines.ts";

/** How the directories are named; older builds left out the pid. */
const NAME = /^ccp-(?:\d{1,10}-)?[0-9a-f]{1,16}$/;
/** The socket inside, as `listen` binds it. */
export const SOCKET_NAME = "http.sock";
/** Younger than this, a directory may be a ccp's that is starting (its socket not yet bound). */
const MIN_AGE_MS = 60_000;
/** A listening socket accepts at once; one that takes longer is left alone. */
const CONNECT_MS = 1000;

/** Makes this process's socket directory; the pid in its name tells a later sweep whose it is. */
export function makeSocketDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: `ccp-${Deno.pid}-` });
}

/**
 * Removes the leftover socket directories beside `own` (this process's, which is kept) and
 * returns how many went, stopping early once `stop` fires (ccp is stopping). Never throws: a
 * directory it cannot read or remove is left.
 */
export async function sweepSocketDirs(own: string, stop?: AbortSignal): Promise<number> {
  const slash = own.lastIndexOf("/");
  const parent = own.slice(0, slash) || "/";
  const ownName = own.slice(slash + 1);
  let removed = 0;
  try {
    const uid = (await Deno.lstat(own)).uid;
    const candidates: string[] = [];
    for await (const entry of Deno.readDir(parent)) {
      if (entry.isDirectory && entry.name !== ownName && NAME.test(entry.name)) {
        candidates.push(entry.name);
      }
    }
    for (const name of candidates) {
      if (stop?.aborted) break;
      const dir = `${parent}/${name}`;
      if (await isLeftover(dir, uid) && await removeLeftover(dir)) removed++;
    }
  } catch {
    // The temp dir cannot be listed: nothing is swept.
  }
  return removed;
}

async function isLeftover(dir: string, uid: number | null): Promise<boolean> {
  try {
    const info = await Deno.lstat(dir);
    if (!info.isDirectory || info.uid !== uid || ((info.mode ?? 0) & 0o777) !== 0o700) return false;
    const inside: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(dir)) inside.push(entry);
    if (inside.length > 1 || (inside.length === 1 && inside[0]!.name !== SOCKET_NAME)) return false;
    const now = Date.now();
    if (now - (info.mtime?.getTime() ?? now) < MIN_AGE_MS) return false;
    if (inside.length === 0) return true;
    const socket = await Deno.lstat(`${dir}/${SOCKET_NAME}`);
    if (!socket.isSocket || socket.uid !== uid) return false;
    if (now - (socket.mtime?.getTime() ?? now) < MIN_AGE_MS) return false;
    return await refuses(`${dir}/${SOCKET_NAME}`);
  } catch {
    return false;
  }
}

/** True only when connecting to the socket is refused: no process listens on it any more. */
async function refuses(path: string): Promise<boolean> {
  // The shared deadline timer, not setTimeout: a first setTimeout in a process loads a timers
  // layer that ccp otherwise never needs (its memory stays for the process's life).
  let cancel: Cancel | undefined;
  const late = new Promise<"late">((resolve) => {
    cancel = deadline(CONNECT_MS, () => resolve("late"));
  });
  const connecting = Deno.connect({ transport: "unix", path });
  try {
    const outcome = await Promise.race([connecting, late]);
    if (outcome === "late") {
      void connecting.then((conn) => conn.close(), () => {});
      return false;
    }
    outcome.close();
    return false;
  } catch (err) {
    return err instanceof Deno.errors.ConnectionRefused;
  } finally {
    cancel?.();
  }
}

/** The socket, then the directory only if nothing else appeared in it meanwhile. */
async function removeLeftover(dir: string): Promise<boolean> {
  try {
    await Deno.remove(`${dir}/${SOCKET_NAME}`).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    await Deno.remove(dir);
    return true;
  } catch {
    return false;
  }
}
