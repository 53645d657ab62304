/**
 * The stores `ccp serve` keeps beside the requests: the usage ledger, the guard state (in Redis,
 * shared by every instance, or else in the data dir) and the monitor of the shared stores.
 */

import type { Config } from "../config/types.ts";
import { messageOf } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { Logger } from "../core/log.ts";
import { keyIdSecret } from "../shared/guard_entries.ts";
import { type KvGuards, openKvGuards } from "../shared/kv_guards.ts";
import type { SharedEngine, SharedMonitor } from "../shared/monitor.ts";
import type { RedisGuards } from "../shared/redis_guards.ts";
import { Ledger } from "../usage/ledger.ts";
import { openServerStore } from "../usage/open.ts";

/** What {@link openStores} opened; each is absent where the config asks for none. */
export interface ServeStores {
  readonly ledger?: Ledger;
  readonly guards?: RedisGuards | KvGuards;
  /** Watches the shared stores (PostgreSQL, Redis) when the config names one. */
  readonly shared?: SharedMonitor;
}

/**
 * Opens the stores `first` (the config ccp starts with) names, and starts the ledger and the
 * monitor; `config` is the config in use as reloads replace it.
 */
export async function openStores(
  first: Config,
  config: () => Config,
  log: Logger,
): Promise<ServeStores> {
  const redisUrl = first.shared?.redis;
  // The Redis client costs ~250 ms and ~30 MB to load: only a config that names Redis pays it.
  const redis = redisUrl
    ? new (await lazyImport("shared/redis_guards.ts")).RedisGuards(
      redisUrl,
      first.shared?.prefix ?? "ccp:",
      log,
      // The tokens this instance started with: a reload does not rename the keys in Redis.
      keyIdSecret(first.server),
    )
    : undefined;
  // The ledger and the guard state are two stores in the data dir: opened side by side.
  const [store, kvGuards] = await Promise.all([
    openServerStore(first, log),
    // Without Redis, one instance keeps what it learned across restarts in its data dir.
    redis ? undefined : openKvGuards(first, log),
  ]);
  // Budget spend counts across instances in Redis when there is one.
  const ledger = store ? new Ledger(store, config, log, redis) : undefined;
  await ledger?.start().catch((err) =>
    log.warn(`Usage ledger: reading budget spend failed: ${messageOf(err)}`)
  );
  const guards = redis ?? kvGuards;
  const engines: SharedEngine[] = [];
  if (store?.shared && store.ping) {
    const ping = store.ping.bind(store);
    engines.push({ name: "postgres", description: store.description, ping });
  }
  if (redis) {
    engines.push({ name: "redis", description: redis.description, ping: () => redis.ping() });
  }
  // Only a config with a shared store watches it: the watcher's code loads then.
  const shared = engines.length > 0
    ? new (await lazyImport("shared/monitor.ts")).SharedMonitor(
      engines,
      first.shared?.onUnavailable ?? "open",
      log,
    )
    : undefined;
  await shared?.start();
  return {
    ...(ledger ? { ledger } : {}),
    ...(guards ? { guards } : {}),
    ...(shared ? { shared } : {}),
  };
}
