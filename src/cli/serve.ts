/** `ccp serve`: listens, logs the start-up lines, reloads (SIGHUP, a saved config), drains. */

import type { RequestObserver } from "../pipeline/record.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import { createServerApp, TRANSPORTS } from "../server/compose.ts";
import { scheduleWarmUp } from "../server/warm_up.ts";
import { OllamaContextWatch } from "../upstream/ollama/context_watch.ts";
import { DepartureWatcher } from "../server/departures.ts";
import { listen, type Listening } from "../server/listen.ts";
import { guardRefusalLog } from "../server/guard_log.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { onSignals, reloadSignals, stopHandler, stopSignals } from "./signals.ts";
import { assertSafeExposure, clientHost, httpUrl, listenHost, startupLines } from "./startup.ts";
import { type ConfigWatch, watchConfig, watchedFiles } from "./config_watch.ts";
import { serveLog } from "./serve_log.ts";
import { KvGuards } from "../shared/kv_guards.ts";
import { listenError } from "./listen_error.ts";
import { openStores } from "./serve_stores.ts";
import { ServedConfig } from "./serve_reload.ts";
import { FormerTokens } from "../server/former_tokens.ts";
import { LazyTraceExport } from "../observe/tracing/lazy_export.ts";

/**
 * How long a stop waits for requests in flight (streams included) before giving up on them. The
 * whole stop, the closing error frames and the ledger's last writes included, must end within the
 * 10 s that `docker stop` and `podman stop` wait before they kill the process.
 */
const GRACE_MS = 8_000;

/** Options of {@link startServer}. */
export interface StartOptions {
  readonly ctx: CliContext;
  readonly flags: CliFlags;
  /** Stop on SIGINT/SIGTERM and reload on SIGHUP (`ccp serve` does; in-process users do not). */
  readonly handleSignals?: boolean;
  /** Log warnings and errors only, unless --log-level says otherwise (`ccp code`). */
  readonly quiet?: boolean;
  readonly graceMs?: number;
  /** Log to this file instead of the config's choice (`ccp code` keeps Claude Code's screen clean). */
  readonly logFile?: string;
  /** Told of each finished request besides the log and the ledger (`ccp code`'s failure note). */
  readonly observers?: readonly RequestObserver[];
  /**
   * Told the line a reload on save logs when the log does not show it on the terminal (it goes to
   * a file, or its level is quiet): `ccp code` shows it there.
   */
  readonly onSaveReload?: (line: string) => void;
  /**
   * Told the warning logged for an Ollama model run with too little context for Claude Code
   * (`ccp code` shows it on the terminal, where the log file is out of sight).
   */
  readonly onContextWarning?: (line: string) => void;
}

/** A running server, for main, `ccp code`, tests and benchmarks. */
export interface ServerHandle {
  /** The URL clients on this machine use (a wildcard host becomes loopback). */
  readonly url: string;
  /** The address actually bound. */
  readonly listenUrl: string;
  readonly port: number;
  /** The config in use (replaced by a successful reload). */
  config(): Config;
  /** Re-reads the config; on any error logs it, keeps the old one and returns false. */
  reload(): Promise<boolean>;
  /**
   * Keeps the windows local servers said they run models with (`provider/model` -> tokens), for
   * targets whose config declares none: `max_tokens` is fitted into them as into a declared one.
   */
  learnWindows(windows: ReadonlyMap<string, number>): void;
  /** Asks Ollama now what its loaded models run with (`ccp code`, before claude's first request). */
  askOllama(): Promise<void>;
  /** Stops accepting connections and waits for requests in flight, up to the grace period. */
  stop(): Promise<void>;
  /** Resolves with the process exit code once the server has stopped. */
  readonly finished: Promise<number>;
}

/** The flags of this serve that `ccp code` must repeat to find it (its config file, its port). */
function codeArgs(flags: CliFlags, config: Config, port: number): string {
  const args: string[] = [];
  if (flags.config !== undefined && config.source.kind === "file") {
    args.push("--config", quoteArg(config.source.path));
  }
  if (flags.host !== undefined) args.push("--host", quoteArg(flags.host));
  if (flags.port !== undefined) args.push("--port", String(port));
  return args.map((a) => ` ${a}`).join("");
}

/** A path or host as a shell word: quoted when it holds anything but plain characters. */
function quoteArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Loads the config, listens, and logs the start-up lines; throws ConfigError or CliError. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const { ctx, flags } = options;
  const graceMs = options.graceMs ?? GRACE_MS;
  const first = await loadCliConfig(ctx, flags);
  const exposureWarnings = assertSafeExposure(first.server);
  const { log, logFile, levelFor, flush: flushLog, closed: logClosed } = await serveLog(
    options,
    first,
  );
  for (const warning of exposureWarnings) log.warn(warning);
  // Aborted when the grace period is over: streams still open end with an error frame, requests
  // whose answer has not begun get a 529.
  const shuttingDown = new AbortController();
  // Aborted as the stop begins: the status page's live streams end then, not at the grace's end.
  const draining = new AbortController();
  const config = new ServedConfig(first, {
    ctx,
    flags,
    log,
    levelFor,
    watch: () => watch,
    tellSaved: (level, line) => {
      if (logFile !== undefined || !log.enabled(level)) options.onSaveReload?.(line);
    },
  });
  const current = () => config.current;
  // Whose token a refused request carried: every config counts, not only those a request saw.
  const formerTokens = new FormerTokens();
  const { ledger, guards, shared } = await openStores(first, current, log);
  // Clients that leave before their answer: the connection guard reports them as it sees them.
  const departures = new DepartureWatcher();
  // Ollama models run with too little context for Claude Code: said in the log once each.
  const ollama = new OllamaContextWatch(
    current,
    fetch,
    log,
    options.onContextWarning,
  );
  // Request spans for an OTLP collector, when the config (or OTEL_* variables) names one.
  const traces = new LazyTraceExport({ config: current, log });
  const app = createServerApp({
    departures,
    config: current,
    log,
    shutdown: shuttingDown.signal,
    draining: draining.signal,
    ...(ledger ? { ledger } : {}),
    ...(shared ? { shared } : {}),
    ...(guards ? { sharedGuards: guards } : {}),
    observers: [ollama, ...options.observers ?? []],
    traces,
    formerTokens,
    shortContexts: () => ollama.shortContexts(),
  });
  ollama.share(app.registry.windows);

  if (guards instanceof KvGuards) {
    await guards.restore(app.registry, Object.values(first.providers));
  }

  const { host, port } = first.server;
  const bound = await bindServer(first, app.fetch, departures, log);
  void bound.swept.then((count) => {
    if (count === 0) return;
    const dirs = count === 1 ? "directory" : "directories";
    log.info(`Removed ${count} socket ${dirs} that ccp processes killed before they stopped left`);
  });
  const listenUrl = httpUrl(host, bound.port);
  const url = httpUrl(clientHost(host), bound.port);
  config.start({ host, port, url: listenUrl }, (next) => {
    // Each config as it loads: a token two reloads in a row took is named too.
    formerTokens.track(next.server.clients);
    // Renamed providers take their state over; removed ones' state is let go.
    app.registry.follow(next.providers);
    // A config that traces loads the exporter now, not at its first request's end.
    traces.prepare(next);
    const cancelWarmUp = scheduleWarmUp(next, TRANSPORTS, { log });
    const cancelOllamaCheck = ollama.schedule();
    return () => {
      cancelWarmUp();
      cancelOllamaCheck();
    };
  });
  // What a reload said is written by the time it answers.
  const reload = () => config.reload(false).finally(flushLog);
  // Saving the config file or its `.env` reloads it, unless the config says not to.
  const files = first.server.watchConfig === false ? undefined : watchedFiles(first);
  const watch: ConfigWatch | undefined = files
    ? await watchConfig({ files, reload: () => config.reload(true), warn: (t) => log.warn(t) })
    : undefined;

  let exit: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (exit = resolve));
  void finished.then(logClosed);
  let stopping: Promise<void> | undefined;
  const drain = async () => {
    log.info(`Stopping: no new connections; requests in flight get up to ${graceMs / 1000} s`);
    config.stop();
    ollama.close();
    const watchClosed = watch?.close();
    await drainRequests(bound, { log, graceMs, draining, shuttingDown });
    // The last requests' spans, once they have all ended.
    await traces.close();
    await bound.cleanUp();
    await watchClosed;
    shared?.stop();
    await guards?.close();
    await ledger?.close().catch(() => {});
    exit(0);
  };
  const stop = () => (stopping ??= drain());

  if (options.handleSignals) {
    // Exiting at once skips the drain, not the socket directory's removal.
    const exitNow = (code: number) => void bound.cleanUp().finally(() => exit(code));
    const removeSignals = onStopSignals(ctx, log, { stop, exit: exitNow, reload });
    void finished.then(removeSignals);
  }

  // Said last: a client (or a test) that reads "listening" may stop ccp at once, and the signal
  // listeners and the config watch are in place by then.
  for (
    const line of startupLines({
      config: first,
      listenUrl,
      clientUrl: url,
      startupMs: performance.now(),
      command: ccpCommand(ctx),
      codeArgs: codeArgs(flags, first, bound.port),
    })
  ) {
    log[line.level](line.text);
  }
  const learnWindows = (windows: ReadonlyMap<string, number>) => {
    for (const [name, tokens] of windows) {
      const slash = name.indexOf("/");
      const provider = current().providers[name.slice(0, slash)];
      if (provider) app.registry.windows.learn(provider, name.slice(slash + 1), tokens);
    }
  };
  return {
    url,
    listenUrl,
    port: bound.port,
    config: current,
    reload,
    learnWindows,
    askOllama: () => ollama.check(),
    stop,
    finished,
  };
}

/** Binds the configured address; a failure is thrown as what the user can do about it. */
async function bindServer(
  first: Config,
  handler: Parameters<typeof listen>[3],
  departures: DepartureWatcher,
  log: Logger,
): Promise<Listening> {
  const { host, port } = first.server;
  try {
    return await listen(
      listenHost(host),
      port,
      first.server,
      handler,
      departures,
      tlsNote(log, host),
      guardRefusalLog(log),
    );
  } catch (err) {
    throw await listenError(err, host, port);
  }
}

/**
 * Stops accepting and waits for the requests in flight up to the grace period; past it, ends
 * them (streams get an error frame) and lets the process go.
 */
async function drainRequests(
  bound: Listening,
  stop: {
    readonly log: Logger;
    readonly graceMs: number;
    readonly draining: AbortController;
    readonly shuttingDown: AbortController;
  },
): Promise<void> {
  const { log, graceMs } = stop;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  bound.stopAccepting();
  stop.draining.abort();
  const { server } = bound;
  const outcome = await Promise.race([server.shutdown().then(() => "done" as const), grace]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    log.warn("Grace period over: ending the requests still in flight, then exiting");
    stop.shuttingDown.abort();
    // Time for the error frames to reach the clients before the process goes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.unref();
  } else log.info("Stopped");
}

/**
 * Stop signals drain (a second one, sent later, exits at once) and reload signals reload.
 * Returns what removes the listeners.
 */
function onStopSignals(
  ctx: CliContext,
  log: Logger,
  server: {
    readonly stop: () => void;
    readonly exit: (code: number) => void;
    readonly reload: () => void;
  },
): () => void {
  // One stop sent twice at once (`timeout` signals ccp, then ccp's process group) asks for one
  // drain; only a signal sent after it asks to skip the drain.
  const removeStop = onSignals(
    stopSignals(ctx.os),
    stopHandler(() => void server.stop(), () => {
      log.warn("Second signal: exiting now");
      server.exit(130);
    }),
  );
  const removeReload = onSignals(reloadSignals(ctx.os), () => void server.reload());
  return () => {
    removeStop();
    removeReload();
  };
}

/** Runs `ccp serve` until a signal stops it; returns the exit code. */
export async function runServe(ctx: CliContext, flags: CliFlags): Promise<number> {
  const handle = await startServer({ ctx, flags, handleSignals: true });
  return await handle.finished;
}

/**
 * The log line for a client that speaks TLS to ccp's plain HTTP port (`https://` in
 * ANTHROPIC_BASE_URL): Claude Code retries such a connection in silence. At most once a minute.
 */
function tlsNote(log: Logger, host: string): (port: number) => void {
  let lastAt = -Infinity;
  return (port) => {
    if (Date.now() - lastAt < 60_000) return;
    lastAt = Date.now();
    log.warn(
      `A client opened a TLS (https://) connection; ccp speaks plain HTTP: use ` +
        `ANTHROPIC_BASE_URL=${httpUrl(clientHost(host), port)}`,
    );
  };
}
