/**
 * Loads, shortly after start, what the config's routes will need on their first request: the
 * code of each translating transport they use, and the o200k tokenizer, which a translated
 * stream needs for its `message_start` input count and `long_context` routing for its threshold.
 * Without it, the first translated request after every start paid ~100-200 ms for both. A config
 * whose routes only pass through to Anthropic-compatible upstreams loads neither and stays small.
 */

import type { Config, ProviderConfig } from "../config/types.ts";
import { type Cancel, deadline } from "../core/deadlines.ts";
import type { Logger } from "../core/log.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { Transports } from "../upstream/transport.ts";

/**
 * How long after start the warm-up waits: the ~50 ms it runs would otherwise delay a request that
 * arrives at once (a client started with ccp sends its first request a second or so later).
 */
export const WARM_UP_DELAY_MS = 250;

/** What the config's routes and aliases send to, and whether serving them counts tokens. */
export function routeNeeds(config: Config): {
  types: Set<ProviderConfig["type"]>;
  tokens: boolean;
} {
  const types = new Set<ProviderConfig["type"]>();
  for (const chain of [...Object.values(config.routes), ...Object.values(config.aliases)]) {
    for (const target of chain) {
      const provider = config.providers[target.provider];
      if (provider) types.add(provider.type);
    }
  }
  const translated = [...types].some((type) => type !== "anthropic");
  return { types, tokens: translated || (config.routes.long_context?.length ?? 0) > 0 };
}

/** How the warm-up runs; the defaults are the server's. */
export interface WarmUpOptions {
  readonly delayMs?: number;
  readonly log?: Logger;
  /** Loads the tokenizer and runs it once; rejects when counts stay estimated. */
  readonly warmTokens?: () => Promise<void>;
}

async function warmTokenizer(): Promise<void> {
  const { o200kProblem, warmUpTokenizer } = await lazyImport("tokens/mod.ts");
  await warmUpTokenizer();
  const problem = o200kProblem();
  if (problem !== undefined) throw new Error(problem);
}

/** Schedules the warm-up for `config`; the returned function cancels it if it has not run. */
export function scheduleWarmUp(
  config: Config,
  transports: Transports,
  options: WarmUpOptions = {},
): Cancel {
  const { types, tokens } = routeNeeds(config);
  const modules = [...types].filter((type) => transports[type]?.warm !== undefined);
  if (!tokens && modules.length === 0) return () => {};
  return deadline(options.delayMs ?? WARM_UP_DELAY_MS, async () => {
    const started = performance.now();
    const loaded: string[] = [];
    const failed: string[] = [];
    for (const type of modules) {
      const ok = await transports[type]!.warm!();
      (ok ? loaded : failed).push(`the ${type} translator`);
    }
    // A tokenizer that cannot load leaves counts estimated; the first count says so in the log.
    if (tokens) {
      const ok = await (options.warmTokens ?? warmTokenizer)().then(() => true, () => false);
      (ok ? loaded : failed).push("the o200k tokenizer");
    }
    options.log?.debug(
      `Loaded ahead of the first request: ${loaded.join(", ") || "nothing"} ` +
        `(${Math.round(performance.now() - started)} ms)` +
        (failed.length > 0 ? `; could not load: ${failed.join(", ")}` : ""),
    );
  });
}
