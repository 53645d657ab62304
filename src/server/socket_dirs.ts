/**
 * The connection guard's private directories (`ccp-<pid>-<random>`, mode 0700, holding one Unix
 * socket), and the sweep that removes those a ccp left behind. They are made in one parent of this
 * user's that only ccp uses, `ccp-sockets-<uid>` in the temp dir, so the sweep lists a handful of
 * entries however crowded the temp dir is (listing ~1,900 entries cost an idle ccp ~3.5 MB of
 * memory). A parent that is not a real directory of this user's, mode 0700 (a symlink, another
 * user's, made by someone else beforehand), is not used: the directory is then made in the temp
 * dir itself, as older builds did, and the sweep lists the temp dir.
 *
 * A ccp killed with SIGKILL (an OOM kill, a crashed test) never removes its own, and a service
 * restarted after each such kill would add one every time. At start ccp removes only what it can
 * prove is a dead ccp's: a directory of this user, named and shaped as ccp makes them, older than
 * a minute, holding nothing but a socket that nobody listens on, or nothing at all. A running
 * ccp's directory holds its listening socket from the moment after it is made until it is
 * removed, so neither can be one. (Whether the pid in the name runs cannot be asked: Deno reads no
 * `/proc` without --allow-all, and a signal to a pid that was reused would reach another program.
 * The pid says whose a directory was.) Anything else is left as it is.
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

/**
 * The longest socket path every Unix takes (macOS's `sun_path` holds 104 bytes with the final
 * NUL, Linux's 108); a parent that would make it longer is not used.
 */
const MAX_SOCKET_PATH = 103;
/** What `Deno.makeTempDir` appends to the prefix: 16 hex digits. */
const RANDOM_LENGTH = 16;

/**
 * Makes this process's socket directory, in the per-user parent when that is safe to use, else in
 * `tmp` itself; the pid in its name tells a later sweep whose it is.
 */
export async function makeSocketDir(tmp = tempDir()): Promise<string> {
  const prefix = `ccp-${Deno.pid}-`;
  const parent = await socketParent(tmp, prefix);
  if (parent) {
    try {
      return await Deno.makeTempDir({ dir: parent, prefix });
    } catch {
      // The parent went meanwhile (removed by hand): the temp dir serves.
    }
  }
  return await Deno.makeTempDir({ dir: tmp, prefix });
}

/** Where `Deno.makeTempDir` makes a directory when told none. */
function tempDir(): string {
  return (Deno.env.get("TMPDIR") || "/tmp").replace(/(?<=.)\/+$/, "");
}

/**
 * `tmp`'s `ccp-sockets-<uid>`, made if missing; undefined unless it is a directory (not a
 * symlink) of this user's, mode 0700, and the socket path in it stays within the Unix limit.
 */
async function socketParent(tmp: string, prefix: string): Promise<string | undefined> {
  // A run without --allow-sys may not ask whose it is: the temp dir itself serves then.
  let uid: number | null;
  try {
    uid = Deno.uid();
  } catch {
    return undefined;
  }
  if (uid === null) return undefined;
  const parent = `${tmp}/ccp-sockets-${uid}`;
  const socket = `${parent}/${prefix}${"0".repeat(RANDOM_LENGTH)}/${SOCKET_NAME}`;
  if (new TextEncoder().encode(socket).length > MAX_SOCKET_PATH) return undefined;
  try {
    await Deno.mkdir(parent, { mode: 0o700 });
    // The umask may have taken bits the check below asks for; the directory is this process's.
    await Deno.chmod(parent, 0o700);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) return undefined;
  }
  try {
    const info = await Deno.lstat(parent);
    const usable = info.isDirectory && info.uid === uid && ((info.mode ?? 0) & 0o777) === 0o700;
    return usable ? parent : undefined;
  } catch {
    return undefined;
  }
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
    // The parent cannot be listed: nothing is swept.
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
