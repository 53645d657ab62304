/**
 * The serving side of Ollama's context check (`ccp check` has the other): a model that Ollama
 * runs with less context than Claude Code needs is named once in the log, on the first request
 * routed to it. Nothing is asked on a request's way: a check shortly after start (and after a
 * reload) reads `/api/ps` for the models loaded then and `/api/show` for a Modelfile's `num_ctx`;
 * a model neither says anything of is asked about once, in the background, after the first
 * request it served has ended (that request loaded it).
 */

import type { Config } from "../../config/types.ts";
import { type Cancel, deadline } from "../../core/deadlines.ts";
import { isRecord } from "../../core/json.ts";
import type { Logger } from "../../core/log.ts";
import type { RequestObserver, RequestRecord } from "../../pipeline/record.ts";
import type { ServerWindows } from "../../resilience/server_windows.ts";
import type { ProviderConfig } from "../../config/types.ts";
import { fetchFor, type FetchLike } from "../http/clients.ts";
import type { ShortContext } from "../../observe/context_notes.ts";
import {
  ask,
  CLAUDE_CODE_CONTEXT,
  loadedContexts,
  ollamaModels,
  rootOf,
  runningContext,
  shortContextWarning,
} from "./context.ts";

/** How long after start the check waits, so it never competes with a first request. */
const OLLAMA_CHECK_DELAY_MS = 1_000;

/** A Modelfile's `PARAMETER num_ctx`, which Ollama runs the model with (`/api/show`). */
function modelfileContext(show: unknown): number | undefined {
  const parameters = isRecord(show) && typeof show.parameters === "string" ? show.parameters : "";
  const match = /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(parameters);
  return match ? Number(match[1]) : undefined;
}

const nameOf = (provider: string, model: string) => `${provider}/${model}`;

// Models asked about after a request: clients may name any model of a provider, so the questions
// (and what they learn) stop at this many.
const MAX_ASKED = 256;

/** What ccp knows of the context of each routed Ollama model, and the log lines it owes. */
export class OllamaContextWatch implements RequestObserver {
  readonly #config: () => Config;
  readonly #fetch: FetchLike;
  readonly #log: Logger;
  readonly #tell: ((line: string) => void) | undefined;
  /** `provider/model` -> its context, once Ollama said. */
  readonly #known = new Map<string, number>();
  /** Models asked about after their first request (once each). */
  readonly #asked = new Set<string>();
  readonly #warned = new Set<string>();
  /** Ends the questions still out when ccp stops. */
  readonly #stopped = new AbortController();
  /** Where the requests read what is learned: a prompt surely over it is not sent. */
  #windows: ServerWindows | undefined;
  /** Models asked about again after a prompt was not sent to them, while the question is out. */
  readonly #rechecking = new Set<string>();

  /**
   * `tell`: also told each warning, for where the log is out of sight (`ccp code` logs to a file
   * while Claude Code owns the terminal, and the session goes wrong with no error to explain it).
   */
  constructor(
    config: () => Config,
    fetchFn: FetchLike,
    log: Logger,
    tell?: (line: string) => void,
  ) {
    this.#config = config;
    this.#fetch = fetchFn;
    this.#log = log;
    this.#tell = tell;
  }

  /** Runs {@link check} `delayMs` from now, off any request's way; none without Ollama routes. */
  schedule(delayMs = OLLAMA_CHECK_DELAY_MS): Cancel {
    if (ollamaModels(this.#config()).size === 0) return () => {};
    return deadline(delayMs, () => void this.check());
  }

  /**
   * Shares what is learned with the requests: each context Ollama says goes into `windows`, and a
   * prompt not sent for one has Ollama asked again (it may have restarted with more context).
   */
  share(windows: ServerWindows): void {
    this.#windows = windows;
    windows.onUnsent = (provider, model) => void this.#recheck(provider, model);
    for (const [name, context] of this.#known) this.#learn(name, context);
  }

  /** Ends any question still out (ccp is stopping). */
  close(): void {
    this.#stopped.abort();
  }

  /** Asks each routed Ollama server what its models run with (those it can say). */
  async check(): Promise<void> {
    const config = this.#config();
    for (const [id, models] of ollamaModels(config)) {
      const provider = config.providers[id]!;
      const loaded = await this.#loaded(provider);
      if (!loaded) continue;
      for (const model of models) {
        const context = runningContext(loaded, model) ?? await this.#modelfile(provider, model);
        if (context !== undefined) this.#learn(nameOf(id, model), context);
      }
    }
  }

  /**
   * A request's end: each short-context Ollama model it was routed to is warned of (once per
   * model); one Ollama has said nothing of is asked about, in the background.
   */
  ended(record: Readonly<RequestRecord>): void {
    for (const { provider, model } of this.#ollamaTargets(record)) {
      const name = nameOf(provider, model);
      if (this.#known.has(name)) this.#warn(provider, model);
      else if (!this.#asked.has(name) && this.#asked.size < MAX_ASKED) {
        this.#asked.add(name);
        void this.#askLoaded(provider, model);
      }
    }
  }

  /** The routed models Ollama said it runs with less context than Claude Code needs, now. */
  shortContexts(): ShortContext[] {
    const providers = this.#config().providers;
    const shorts: ShortContext[] = [];
    for (const [name, context] of this.#known) {
      const slash = name.indexOf("/");
      const provider = name.slice(0, slash);
      if (context >= CLAUDE_CODE_CONTEXT || providers[provider]?.preset !== "ollama") continue;
      shorts.push({ provider, model: name.slice(slash + 1), context });
    }
    return shorts;
  }

  /** The way ccp's requests to `provider` go: Ollama directly, whatever HTTP_PROXY says. */
  #fetchOf(provider: ProviderConfig): FetchLike {
    return fetchFor(provider, this.#fetch);
  }

  #warn(provider: string, model: string): void {
    const name = nameOf(provider, model);
    const context = this.#known.get(name);
    if (context === undefined || context >= CLAUDE_CODE_CONTEXT || this.#warned.has(name)) return;
    this.#warned.add(name);
    const line = `provider "${provider}": ${shortContextWarning(model, context)}`;
    this.#log.warn(line);
    this.#tell?.(`warning: ${line}`);
  }

  /** The Ollama targets a request was routed to (its tries, and the one that answered). */
  #ollamaTargets(record: Readonly<RequestRecord>): { provider: string; model: string }[] {
    const providers = this.#config().providers;
    const targets = record.provider !== undefined && record.model !== undefined
      ? [{ provider: record.provider, model: record.model }, ...record.attempts]
      : record.attempts;
    return targets.filter((t) => providers[t.provider]?.preset === "ollama");
  }

  async #askLoaded(provider: string, model: string): Promise<void> {
    const config = this.#config().providers[provider];
    if (!config) return;
    const loaded = await this.#loaded(config);
    const context = loaded ? runningContext(loaded, model) : undefined;
    if (context === undefined) return;
    this.#learn(nameOf(provider, model), context);
    this.#warn(provider, model);
  }

  #learn(name: string, context: number): void {
    this.#known.set(name, context);
    const slash = name.indexOf("/");
    const provider = this.#config().providers[name.slice(0, slash)];
    if (provider) this.#windows?.learn(provider, name.slice(slash + 1), context);
  }

  /**
   * Asks Ollama again what `model` runs with: loaded, its context now is kept; not loaded, the
   * `num_ctx` of its Modelfile (which Ollama will load it with) is; with neither (Ollama restarted,
   * or let it go), what was learned is forgotten, so the next request is sent and the model is
   * asked about after it, as on its first.
   */
  async #recheck(provider: ProviderConfig, model: string): Promise<void> {
    const name = nameOf(provider.id, model);
    if (this.#rechecking.has(name)) return;
    this.#rechecking.add(name);
    try {
      const loaded = await this.#loaded(provider);
      if (!loaded) return;
      const context = runningContext(loaded, model) ?? await this.#modelfile(provider, model);
      if (context !== undefined) return this.#learn(name, context);
      this.#known.delete(name);
      this.#asked.delete(name);
      this.#windows?.forget(provider, model);
    } finally {
      this.#rechecking.delete(name);
    }
  }

  async #loaded(provider: ProviderConfig): Promise<Map<string, number> | undefined> {
    const ps = await ask(this.#fetchOf(provider), `${rootOf(provider.baseUrl)}/api/ps`, {
      signal: this.#stopped.signal,
    }).catch(() => undefined);
    return ps === undefined ? undefined : loadedContexts(ps);
  }

  async #modelfile(provider: ProviderConfig, model: string): Promise<number | undefined> {
    const show = await ask(this.#fetchOf(provider), `${rootOf(provider.baseUrl)}/api/show`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model }),
      signal: this.#stopped.signal,
    }).catch(() => undefined);
    return modelfileContext(show);
  }
}
