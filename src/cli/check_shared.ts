/**
 * The shared-engines part of `ccp check`: the engines the config names, opened once for the whole
 * check, and whether each answers now, so a team finds a wrong URL or password before the
 * instances start serving.
 */

import type { Config } from "../config/types.ts";
import { createLogger } from "../core/log.ts";
import type { RedisGuards } from "../shared/redis_guards.ts";
import { openUsageStore } from "../usage/open.ts";
import { lazyImport } from "../core/lazy_modules.ts";

/** The stores `ccp check` reads: the usage ledger (when anything needs it) and Redis. */
export interface CheckEngines {
  readonly store?: Awaited<ReturnType<typeof openUsageStore>>;
  readonly redis?: RedisGuards;
  close(): void;
}

/** Opens what the config's budgets and shared engines need, and nothing else. */
export async function openCheckEngines(config: Config): Promise<CheckEngines> {
  const needsStore = (config.budgets?.length ?? 0) > 0 || config.shared?.postgres !== undefined;
  const store = needsStore ? await openUsageStore(config) : undefined;
  let redis: RedisGuards | undefined;
  if (config.shared?.redis) {
    const { RedisGuards } = await lazyImport("shared/redis_guards.ts");
    const quiet = createLogger({ level: "error", write: () => {}, colour: false });
    redis = new RedisGuards(config.shared.redis, config.shared.prefix, quiet);
  }
  return {
    ...(store ? { store } : {}),
    ...(redis ? { redis } : {}),
    close() {
      redis?.close();
      if (store?.ok) store.store.close();
    },
  };
}

/** One line per engine the config names; nothing when it names none. */
export async function sharedLines(config: Config, engines: CheckEngines): Promise<string[]> {
  const shared = config.shared;
  if (!shared) return [];
  const lines: string[] = [];
  if (engines.redis) {
    const answers = await engines.redis.ping();
    lines.push(reachability(engines.redis.description, answers, shared.onUnavailable));
  }
  const store = engines.store;
  if (shared.postgres && store) {
    lines.push(
      store.ok
        ? reachability(
          store.store.description,
          await store.store.ping?.() ?? true,
          shared.onUnavailable,
        )
        : `shared.postgres: ${store.reason}`,
    );
  }
  return lines;
}

function reachability(engine: string, answers: boolean, onUnavailable: "open" | "closed"): string {
  if (answers) return `${engine}: answers`;
  const then = onUnavailable === "open"
    ? "instances serve on their own state until it answers"
    : "instances answer 503 until it answers";
  return `${engine}: does NOT answer now (${then})`;
}
