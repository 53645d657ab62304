/**
 * The serving side of Ollama's context check (`ccp check` has the other): a model that Ollama
 * runs with less context than Claude Code needs is named once in the log, on the first request
 * routed to it. A check shortly after start (and after a reload) reads `/api/ps` for the models
 * loaded then and `/api/show` for a Modelfile's `num_ctx`. A request to a model whose context is
 * still unknown asks `/api/ps` first, and has a model not loaded loaded first when its prompt may
 * not fit (Ollama would cut it while loading it). After each request its model is asked about
 * again in the background, so a context that changed (Ollama restarted) is not kept.
 */

import type { Config } from "../../config/types.ts";
import { type Cancel, deadline } from "../../core/deadlines.ts";
import { isRecord } from "../../core/json.ts";
import type { Logger } from "../../core/log.ts";
import type { RequestObserver, RequestRecord } from "../../pipeline/record.ts";
import type { ServerWindows } from "../../resilience/server_windows.ts";
import type { ProviderConfig } from "../../config/types.ts";
import { fetchFor, type FetchLike } from "../http/clients.ts";
import { localServerUrl } from "../http/endpoints.ts";
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

/**
 * A prompt no longer than this (by ccp's count) fits any context Ollama picks (2048 tokens at
 * the least, in versions before 0.6.7): such a request is sent without loading its model first.
 */
const FITS_ANY_CONTEXT = 2048;

/** How long a request waits for Ollama to load its model before it is sent anyway. */
const LOAD_WAIT_MS = 5 * 60_000;

/** A Modelfile's `PARAMETER num_ctx`, which Ollama runs the model with (`/api/show`). */
function modelfileContext(show: unknown): number | undefined {
  const parameters = isRecord(show) && typeof show.parameters === "string" ? show.parameters : "";
  const match = /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(parameters);
  return match ? Number(match[1]) : undefined;
}

const nameOf = (provider: string, model: string) => `${provider}/${model}`;

/** A server root and model, as {@link OllamaContextWatch}'s memory keys them. */
function splitAt(at: string): { root: string; model: string } {
  const space = at.indexOf(" ");
  return { root: at.slice(0, space), model: at.slice(space + 1) };
}

// Models asked about after a request: clients may name any model of a provider, so the questions
// (and what they learn) stop at this many.
const MAX_ASKED = 256;

/** What ccp knows of the context of each routed Ollama model, and the log lines it owes. */
export class OllamaContextWatch implements RequestObserver {
  readonly #config: () => Config;
  readonly #fetch: FetchLike;
  readonly #log: Logger;
  readonly #tell: ((line: string) => void) | undefined;
  /**
   * `<server root> <model>` -> its context, once that Ollama said: kept by server, not by provider
   * name, so a reload that renames the provider keeps it (and its warning said), and one that
   * points the provider at another Ollama makes it unknown again.
   */
  readonly #known = new Map<string, number>();
  /** Models asked about after their first request, and warned of: once each per server. */
  readonly #asked = new Set<string>();
  readonly #warned = new Set<string>();
  /** Ends the questions still out when ccp stops. */
  readonly #stopped = new AbortController();
  /** Where the requests read what is learned: a prompt surely over it is not sent. */
  #windows: ServerWindows | undefined;
  /** Models asked about again after a prompt was not sent to them, while the question is out. */
  readonly #rechecking = new Set<string>();
  /** Models to ask about again once the question out ends. */
  readonly #again = new Set<string>();
  /** Models asked about after a request they are known for, while the question is out. */
  readonly #refreshing = new Set<string>();
  /** Models whose Ollama did not answer when asked before a request. */
  readonly #silent = new Set<string>();
  /** Models asked about (and loaded) before a request, while that is under way: one at a time. */
  readonly #loading = new Map<string, Promise<void>>();

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
    windows.beforeUnknown = (provider, model, tokens) =>
      this.#beforeUnknown(provider, model, tokens);
    for (const [at, context] of this.#known) {
      const { root, model } = splitAt(at);
      for (const provider of this.#ollamaAt(root)) windows.learn(provider, model, context);
    }
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
        if (context !== undefined) {
          this.#learn(nameOf(id, model), context, rootOf(provider.baseUrl));
        }
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
      const asked = this.#atServer(name);
      if (this.#contextOf(name) !== undefined) {
        this.#warn(provider, model);
        // Ollama may have restarted with another context (less, or more) since it said: asked
        // again after each request, off its way, so a window that shrank is not kept.
        void this.#askLoaded(provider, model);
      } else if (asked !== undefined && !this.#asked.has(asked) && this.#asked.size < MAX_ASKED) {
        this.#asked.add(asked);
        void this.#askLoaded(provider, model);
      }
    }
  }

  /** The routed models Ollama said it runs with less context than Claude Code needs, now. */
  shortContexts(): ShortContext[] {
    const shorts: ShortContext[] = [];
    for (const [at, context] of this.#known) {
      if (context >= CLAUDE_CODE_CONTEXT) continue;
      const { root, model } = splitAt(at);
      for (const { id } of this.#ollamaAt(root)) shorts.push({ provider: id, model, context });
    }
    return shorts;
  }

  /** The Ollama providers of the config now that point at `root`. */
  #ollamaAt(root: string): ProviderConfig[] {
    return Object.values(this.#config().providers).filter((p) =>
      p.preset === "ollama" && rootOf(p.baseUrl) === root
    );
  }

  /** The way ccp's requests to `provider` go: Ollama directly, whatever HTTP_PROXY says. */
  #fetchOf(provider: ProviderConfig): FetchLike {
    return fetchFor(provider, this.#fetch);
  }

  #warn(provider: string, model: string): void {
    const name = nameOf(provider, model);
    const context = this.#contextOf(name);
    if (context === undefined || context >= CLAUDE_CODE_CONTEXT) return;
    // The provider is in the config: its context was known.
    const once = this.#atServer(name)!;
    if (this.#warned.has(once)) return;
    this.#warned.add(once);
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
    const name = nameOf(provider, model);
    if (!config || this.#refreshing.has(name)) return;
    this.#refreshing.add(name);
    try {
      const loaded = await this.#loaded(config);
      const context = loaded ? runningContext(loaded, model) : undefined;
      if (context === undefined) return;
      this.#learn(name, context, rootOf(config.baseUrl));
      this.#warn(provider, model);
    } finally {
      this.#refreshing.delete(name);
    }
  }

  /**
   * Before a request to `model`, whose context ccp does not know: loaded, its context is read at
   * once. Not loaded, Ollama would load it for the request and cut a prompt longer than the
   * context it picks, with no word; so when the prompt may be longer than any context it picks,
   * Ollama is first asked to load the model (its documented request with no prompt), and the
   * context read then. The load is one the request would have waited for anyway.
   */
  #beforeUnknown(
    provider: ProviderConfig,
    model: string,
    tokens: () => Promise<number>,
  ): Promise<void> {
    const name = nameOf(provider.id, model);
    // An Ollama that did not answer before (a gateway with no `/api/ps`) is not asked on every
    // request's way; the question after a request goes on.
    if (this.#silent.has(name)) return Promise.resolve();
    const under = this.#loading.get(name);
    if (under) return under;
    const asked = this.#loadFirst(provider, model, tokens).finally(() =>
      this.#loading.delete(name)
    );
    this.#loading.set(name, asked);
    return asked;
  }

  async #loadFirst(
    provider: ProviderConfig,
    model: string,
    tokens: () => Promise<number>,
  ): Promise<void> {
    const root = rootOf(provider.baseUrl);
    const loaded = await this.#loaded(provider);
    // Ollama did not answer: the request goes as it would have.
    if (!loaded) {
      if (this.#silent.size < MAX_ASKED) this.#silent.add(nameOf(provider.id, model));
      return;
    }
    let context = runningContext(loaded, model);
    if (context === undefined) {
      const count = await tokens().catch(() => undefined);
      if (count === undefined || count <= FITS_ANY_CONTEXT) return;
      // One request more to the same Ollama, on the request's way: said, as a re-send is.
      this.#log.info(
        `provider "${provider.id}" (model ${model}) is not loaded and the prompt (${count} tokens ` +
          "by ccp's count) may be longer than the context Ollama would load it with: loaded " +
          "first, and its context read before the request is sent",
      );
      if (!await this.#load(provider, model)) return;
      const now = await this.#loaded(provider);
      context = now && runningContext(now, model);
    }
    if (context === undefined) return;
    this.#learn(nameOf(provider.id, model), context, root);
    this.#warn(provider.id, model);
  }

  /** Has Ollama load `model`; true once it is loaded (Ollama answers when the load is done). */
  async #load(provider: ProviderConfig, model: string): Promise<boolean> {
    const signal = AbortSignal.any([this.#stopped.signal, AbortSignal.timeout(LOAD_WAIT_MS)]);
    try {
      // Sent as the questions are: directly, and a redirect is no answer.
      const url = localServerUrl(provider.baseUrl, "/api/generate");
      const response = await this.#fetchOf(provider)(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model }),
        redirect: "manual",
        signal,
      });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** The provider of `name` (`provider/model`) in the config now, if there is one. */
  #providerOf(name: string): ProviderConfig | undefined {
    return this.#config().providers[name.slice(0, name.indexOf("/"))];
  }

  /**
   * What Ollama said of `name`'s context, while the provider still points at the server that
   * said it: after a reload to another Ollama, the model is asked about again after its next
   * request, and no note of the other server's context stays on the status line or /ui.
   */
  #contextOf(name: string): number | undefined {
    const at = this.#atServer(name);
    return at === undefined ? undefined : this.#known.get(at);
  }

  /**
   * `name`'s model at the server its provider points at now: what is known, asked and warned of
   * once (whatever the provider is called).
   */
  #atServer(name: string): string | undefined {
    const provider = this.#providerOf(name);
    return provider && `${rootOf(provider.baseUrl)} ${name.slice(name.indexOf("/") + 1)}`;
  }

  /** Keeps what `root` said of `name`'s context, and hands it to the requests while it applies. */
  #learn(name: string, context: number, root: string): void {
    this.#known.set(`${root} ${name.slice(name.indexOf("/") + 1)}`, context);
    const provider = this.#providerOf(name);
    if (provider && rootOf(provider.baseUrl) === root) {
      this.#windows?.learn(provider, name.slice(name.indexOf("/") + 1), context);
    }
  }

  /**
   * Asks Ollama again what `model` runs with: loaded, its context now is kept; not loaded, the
   * `num_ctx` of its Modelfile (which Ollama will load it with) is; with neither (Ollama restarted,
   * or let it go), what was learned is forgotten, so the next request has it asked about first,
   * as on its first. Asked while a question is out, it asks once more after it: what Ollama said
   * before the restart must not be the last word.
   */
  async #recheck(provider: ProviderConfig, model: string): Promise<void> {
    const name = nameOf(provider.id, model);
    if (this.#rechecking.has(name)) return void this.#again.add(name);
    this.#rechecking.add(name);
    try {
      const root = rootOf(provider.baseUrl);
      const loaded = await this.#loaded(provider);
      if (!loaded) return;
      const context = runningContext(loaded, model) ?? await this.#modelfile(provider, model);
      if (context !== undefined) return this.#learn(name, context, root);
      this.#known.delete(`${root} ${model}`);
      this.#asked.delete(`${root} ${model}`);
      this.#windows?.forget(provider, model);
    } finally {
      this.#rechecking.delete(name);
      if (this.#again.delete(name)) void this.#recheck(provider, model);
    }
  }

  async #loaded(provider: ProviderConfig): Promise<Map<string, number> | undefined> {
    const ps = await ask(this.#fetchOf(provider), localServerUrl(provider.baseUrl, "/api/ps"), {
      signal: this.#stopped.signal,
    }).catch(() => undefined);
    return ps === undefined ? undefined : loadedContexts(ps);
  }

  async #modelfile(provider: ProviderConfig, model: string): Promise<number | undefined> {
    const show = await ask(this.#fetchOf(provider), localServerUrl(provider.baseUrl, "/api/show"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model }),
      signal: this.#stopped.signal,
    }).catch(() => undefined);
    return modelfileContext(show);
  }
}
