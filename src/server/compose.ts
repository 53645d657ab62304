/** Wires the real parts together: transports, resilience registry, token counter, logger. */

import type { RequestObserver } from "../pipeline/record.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import { ResilienceRegistry } from "../resilience/registry.ts";
import { countRequestTokensAsync, o200kProblem } from "../tokens/mod.ts";
import { anthropicTransport } from "../upstream/anthropic/transport.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import { loadedOnFirstUse } from "../upstream/transport.ts";
import { VERSION } from "../version.ts";
import { type ConnectionInfo, createApp } from "./app.ts";
import type { AppDeps } from "./deps.ts";
import type { Ledger } from "../usage/ledger.ts";
import type { SharedMonitor } from "../shared/monitor.ts";
import type { DepartureWatcher } from "./departures.ts";
import type { SharedGuards } from "../resilience/shared_sync.ts";
import { lazyImport } from "../core/lazy_modules.ts";

/**
 * The transports ccp ships, by wire protocol. Each translating one loads with its translator on
 * its protocol's first request: a config without Gemini never pays for Gemini's modules, at start
 * or in memory (about a third of ccp's code is translation).
 */
export const TRANSPORTS: AppDeps["transports"] = {
  anthropic: anthropicTransport,
  openai: loadedOnFirstUse(async () =>
    (await lazyImport("upstream/openai_chat/transport.ts")).openAITransport
  ),
  openai_responses: loadedOnFirstUse(async () =>
    (await lazyImport("upstream/openai_responses/transport.ts")).openAIResponsesTransport
  ),
  gemini: loadedOnFirstUse(async () =>
    (await lazyImport("upstream/gemini/transport.ts")).geminiTransport
  ),
};

/** Builds the production app around a config getter (a reload swaps what it returns). */
export function createServerApp(options: {
  config: () => Config;
  log: Logger;
  fetch?: FetchLike;
  registry?: ResilienceRegistry;
  shutdown?: AbortSignal;
  draining?: AbortSignal;
  ledger?: Ledger;
  shared?: SharedMonitor;
  sharedGuards?: SharedGuards;
  departures?: DepartureWatcher;
  observers?: readonly RequestObserver[];
}): {
  fetch: (request: Request, info?: ConnectionInfo) => Promise<Response>;
  registry: ResilienceRegistry;
} {
  const registry = options.registry ?? new ResilienceRegistry();
  let warnedAboutCounts = false;
  const countTokens = async (body: Record<string, unknown>) => {
    const tokens = await countRequestTokensAsync(body, {
      model: typeof body.model === "string" ? body.model : undefined,
    });
    const problem = o200kProblem();
    if (problem !== undefined && !warnedAboutCounts) {
      warnedAboutCounts = true;
      options.log.warn(
        `Local token counts are estimates (~4 characters per token): ${problem}`,
      );
    }
    return tokens;
  };
  const app = createApp({
    config: options.config,
    fetch: options.fetch ?? fetch,
    log: options.log,
    transports: TRANSPORTS,
    registry,
    countTokens,
    now: () => performance.now(),
    startedAt: new Date(),
    version: VERSION,
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    ...(options.draining ? { draining: options.draining } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.shared ? { shared: options.shared } : {}),
    ...(options.sharedGuards ? { sharedGuards: options.sharedGuards } : {}),
    ...(options.observers ? { observers: options.observers } : {}),
    ...(options.departures ? { departures: options.departures } : {}),
  });
  return { fetch: app.fetch, registry };
}
