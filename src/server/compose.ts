/** Wires the real parts together: transports, resilience registry, token counter, logger. */

import type { RequestObserver } from "../pipeline/record.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import { ResilienceRegistry } from "../resilience/registry.ts";
import { anthropicTransport } from "../upstream/anthropic/transport.ts";
import type { FetchLike } from "../upstream/http/clients.ts";
import { loadedOnFirstUse, type Transport } from "../upstream/transport.ts";
import { VERSION } from "../version.ts";
import { type ConnectionInfo, createApp } from "./app.ts";
import type { ShortContexts } from "../observe/context_notes.ts";
import type { AppDeps } from "./deps.ts";
import type { Ledger } from "../usage/ledger.ts";
import type { SharedMonitor } from "../shared/monitor.ts";
import type { DepartureWatcher } from "./departures.ts";
import type { FormerTokens } from "./former_tokens.ts";
import type { SharedGuards } from "../resilience/shared_sync.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { TraceSource } from "../observe/tracing/lazy_export.ts";

/**
 * A translating transport, loaded with its translator on its protocol's first request (or by the
 * warm-up), together with the relay stage's translated frames and stream collector, which only
 * translated answers need at once.
 */
function translating(load: () => Promise<Transport>): Transport {
  return loadedOnFirstUse(async () => {
    const [transport] = await Promise.all([
      load(),
      lazyImport("upstream/translated_frames.ts"),
      lazyImport("upstream/collect_stream.ts"),
    ]);
    return transport;
  });
}

/**
 * The transports ccp ships, by wire protocol. Each translating one loads with its translator on
 * its protocol's first request: a config without Gemini never pays for Gemini's modules, at start
 * or in memory (about a third of ccp's code is translation).
 */
export const TRANSPORTS: AppDeps["transports"] = {
  anthropic: anthropicTransport,
  openai: translating(async () =>
    (await lazyImport("upstream/openai_chat/transport.ts")).openAITransport
  ),
  openai_responses: translating(async () =>
    (await lazyImport("upstream/openai_responses/transport.ts")).openAIResponsesTransport
  ),
  gemini: translating(async () =>
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
  traces?: TraceSource;
  formerTokens?: FormerTokens;
  shortContexts?: ShortContexts;
}): {
  fetch: (request: Request, info?: ConnectionInfo) => Promise<Response>;
  registry: ResilienceRegistry;
} {
  const registry = options.registry ?? new ResilienceRegistry();
  let warnedAboutCounts = false;
  // The counter loads on the first count: a passthrough config may never count locally.
  const countTokens = async (body: Record<string, unknown>) => {
    const { countRequestTokensAsync, o200kProblem } = await lazyImport("tokens/mod.ts");
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
    ...(options.traces ? { traces: options.traces } : {}),
    ...(options.departures ? { departures: options.departures } : {}),
    ...(options.formerTokens ? { formerTokens: options.formerTokens } : {}),
    ...(options.shortContexts ? { shortContexts: options.shortContexts } : {}),
  });
  return { fetch: app.fetch, registry };
}
