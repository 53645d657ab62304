/** Opens the embedded ledger in the data dir; a broken store turns the ledger off, never ccp. */

import type { Config } from "../config/types.ts";
import { joinPath } from "../config/paths.ts";
import type { Logger } from "../core/log.ts";
import { openKvStore } from "./kv_store.ts";
import { makePrivateDir } from "./private_kv.ts";
import { notAsRoot, otherOwner } from "../core/other_owner.ts";
import type { UsageStore } from "./store.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import { messageOf } from "../core/errors.ts";

/** The ledger file's name inside the data dir. */
const LEDGER_FILE = "usage.kv";

/** Where the ledger of `dataDir` lives. */
function ledgerPath(dataDir: string): string {
  return joinPath(dataDir, LEDGER_FILE);
}

/** Opens the store, or explains why it cannot (the message names the file and what to do). */
export async function openUsageStore(
  config: Config,
): Promise<{ ok: true; store: UsageStore } | { ok: false; reason: string }> {
  // Turned off on purpose: no file is created and nothing is recorded anywhere.
  if (config.usage?.enabled === false) {
    return { ok: false, reason: "the config turns it off (usage.enabled: false)" };
  }
  const shared = config.shared?.postgres;
  if (shared) {
    try {
      // Loaded only here: the PostgreSQL client is start-up time every other ccp would pay.
      const { openPgStore } = await lazyImport("usage/pg_store.ts");
      return { ok: true, store: openPgStore(shared) };
    } catch (err) {
      return { ok: false, reason: `shared.postgres: ${messageOf(err)}` };
    }
  }
  const dir = config.server.dataDir;
  if (dir === undefined) {
    return { ok: false, reason: "no data dir (set --data-dir, CCP_DATA_DIR or server.data_dir)" };
  }
  const path = ledgerPath(dir);
  const other = await otherOwner(path);
  if (other) return { ok: false, reason: notAsRoot(other) };
  try {
    await makePrivateDir(dir);
    const store = await openKvStore(path, {
      retentionMs: config.usage?.retentionMs ?? 90 * 86_400_000,
    });
    return { ok: true, store };
  } catch (err) {
    const why = messageOf(err);
    return {
      ok: false,
      reason: `cannot open ${path}: ${why} (move the file away to start a new ledger)`,
    };
  }
}

/** Opens the store for the server: a failure is one warning, and ccp serves without a ledger. */
export async function openServerStore(
  config: Config,
  log: Logger,
): Promise<UsageStore | undefined> {
  const opened = await openUsageStore(config);
  if (opened.ok) return opened.store;
  // Asked for in the config: worth a line, not a warning.
  if (config.usage?.enabled === false) {
    log.info(`Usage ledger off: ${opened.reason}`);
    return undefined;
  }
  log.warn(`Usage ledger off: ${opened.reason}; requests are served but not recorded`);
  return undefined;
}
