/**
 * The shared-engines part of `ccp check`: whether the Redis and PostgreSQL the config names
 * answer now, so a team finds a wrong URL or password before the instances start serving.
 */

import type { Config } from "../config/types.ts";
import { createLogger } from "../core/log.ts";

/** One line per engine the config names; nothing when it names none. */
export async function sharedLines(config: Config): Promise<string[]> {
  const shared = config.shared;
  const lines: string[] = [];
  if (shared?.redis) {
    const { RedisGuards } = await import("../shared/redis_guards.ts");
    const quiet = createLogger({ level: "error", write: () => {}, colour: false });
    const redis = new RedisGuards(shared.redis, shared.prefix, quiet);
    try {
      lines.push(reachability(redis.description, await redis.ping(), shared.onUnavailable));
    } finally {
      redis.close();
    }
  }
  if (shared?.postgres) {
    const { openPgStore } = await import("../usage/pg_store.ts");
    const store = openPgStore(shared.postgres, { connectTimeoutS: 2 });
    try {
      lines.push(reachability(store.description, await store.ping(), shared.onUnavailable));
    } finally {
      store.close();
    }
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
