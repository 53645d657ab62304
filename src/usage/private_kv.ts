/**
 * The data dir's stores, readable by their user alone: the usage ledger names every client, model
 * and cost, and the guard store the providers' state. A umask of 022 would otherwise make both,
 * and the data dir, readable by every local user. A store that an earlier ccp made so (mode 644 or
 * 664, what the usual umasks leave) is narrowed to 600; a file or directory that already exists
 * with any other mode keeps it (an operator may have opened it to a group on purpose).
 */

import { notAsRoot, otherOwner } from "../core/other_owner.ts";

/**
 * Makes `dir` (and its missing parents) with mode 700; throws, as root, where another user owns
 * it (see otherOwner).
 */
export async function makePrivateDir(dir: string): Promise<void> {
  const other = await otherOwner(dir);
  if (other) throw new Error(notAsRoot(other));
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Opens the Deno KV store at `path`, created with mode 600 when it does not exist yet. */
export async function openPrivateKv(path: string): Promise<Deno.Kv> {
  if (path !== ":memory:") {
    // An empty file is a new store to SQLite, which gives its -wal and -shm files the store's mode.
    try {
      await Deno.writeFile(path, new Uint8Array(), { createNew: true, mode: 0o600 });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      // SQLite gives -wal and -shm the store's mode only when it makes them.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) await narrowUmaskMode(file);
    }
  }
  return await Deno.openKv(path);
}

// The modes a file gets from `mode: 0o666` under the umasks 022 and 002: no one chose them.
const UMASK_MODES = new Set([0o644, 0o664]);

/** Makes `path` its user's alone when its mode is one a umask left, not one an operator chose. */
async function narrowUmaskMode(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const info = await Deno.lstat(path).catch(() => undefined);
  if (info?.isFile && UMASK_MODES.has((info.mode ?? 0) & 0o777)) await Deno.chmod(path, 0o600);
}
