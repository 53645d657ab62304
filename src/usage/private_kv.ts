/**
 * The data dir's stores, readable by their user alone: the usage ledger names every client, model
 * and cost, and the guard store the providers' state. A umask of 022 would otherwise make both,
 * and the data dir, readable by every local user. A file or directory that already exists keeps
 * its mode (an operator may have opened it to a group on purpose).
 */

/** Makes `dir` (and its missing parents) with mode 700. */
export async function makePrivateDir(dir: string): Promise<void> {
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
    }
  }
  return await Deno.openKv(path);
}
