/** `ccp serve`: listens, logs the start-up lines, reloads (SIGHUP, a saved config), drains. */

import type { RequestObserver } from "../pipeline/record.ts";
import type { Config, LogLevel } from "../config/types.ts";
import { createLogger, type Logger } from "../core/log.ts";
import { createServerApp, TRANSPORTS } from "../server/compose.ts";
import { scheduleWarmUp } from "../server/warm_up.ts";
import { environmentFetch } from "../upstream/http/clients.ts";
import { OllamaContextWatch } from "../upstream/ollama/context_watch.ts";
import { DepartureWatcher } from "../server/departures.ts";
import { listen, type Listening } from "../server/listen.ts";
import { guardRefusalLog } from "../server/guard_log.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { onSignals, reloadSignals, stopSignals } from "./signals.ts";
import {
  assertSafeExposure,
  clientHost,
  configSourceText,
  httpUrl,
  listenHost,
  routeLines,
  startupLines,
} from "./startup.ts";
import { swappableLogger } from "./swap_log.ts";
import { reloadChanges, restartNotes } from "./reload_changes.ts";
import { type ConfigWatch, watchConfig, watchedFiles } from "./config_watch.ts";
import { fileSink } from "./log_file.ts";
import { KvGuards } from "../shared/kv_guards.ts";
import { listenError } from "./listen_error.ts";
import { openStores } from "./serve_stores.ts";
import { messageOf } from "../core/errors.ts";

/**
 * How long a stop waits for requests in flight (streams included) before giving up on them. The
 * whole stop, the closing error frames and the ledger's last writes included, must end within the
 * 10 s that `docker stop` and `podman stop` wait before they kill the process.
 */
const GRACE_MS = 8_000;
/**
 * Stop signals this close together are one stop sent twice; a person's second Ctrl-C, which skips
 * the drain, comes later.
 */
const SAME_STOP_MS = 200;

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
  let current = first;

  const levelFor = (config: Config): LogLevel => {
    const level = config.server.logLevel;
    if (!options.quiet || flags.logLevel) return level;
    return level === "error" ? "error" : "warn";
  };
  const { logFormat } = first.server;
  const logFile = options.logFile ?? first.server.logFile;
  const write = logFile
    ? await fileSink(logFile)
    : (line: string) => ctx.io.err(line.replace(/\n$/, ""));
  const log = swappableLogger(
    (level) =>
      createLogger({
        level,
        format: logFormat,
        write,
        colour: logFile ? false : ctx.colour,
      }),
    levelFor(first),
  );
  for (const warning of exposureWarnings) log.warn(warning);
  // Aborted when the grace period is over: streams still open end with an error frame, requests
  // whose answer has not begun get a 529.
  const shuttingDown = new AbortController();
  // Aborted as the stop begins: the status page's live streams end then, not at the grace's end.
  const draining = new AbortController();
  const { ledger, guards, shared } = await openStores(first, () => current, log);
  // Clients that leave before their answer: the connection guard reports them as it sees them.
  const departures = new DepartureWatcher();
  // Ollama models run with too little context for Claude Code: said in the log once each.
  const ollama = new OllamaContextWatch(() => current, environmentFetch(), log);
  const app = createServerApp({
    departures,
    config: () => current,
    log,
    shutdown: shuttingDown.signal,
    draining: draining.signal,
    ...(ledger ? { ledger } : {}),
    ...(shared ? { shared } : {}),
    ...(guards ? { sharedGuards: guards } : {}),
    observers: [ollama, ...options.observers ?? []],
  });

  if (guards instanceof KvGuards) {
    await guards.restore(app.registry, Object.values(first.providers));
  }

  const { host, port } = first.server;
  let bound: Listening;
  try {
    bound = await listen(
      listenHost(host),
      port,
      first.server,
      app.fetch,
      departures,
      tlsNote(log, host),
      guardRefusalLog(log),
    );
  } catch (err) {
    throw await listenError(err, host, port);
  }
  const listenUrl = httpUrl(host, bound.port);
  const url = httpUrl(clientHost(host), bound.port);
  let cancelWarmUp = scheduleWarmUp(first, TRANSPORTS, { log });
  let cancelOllamaCheck = ollama.schedule();

  const tellSaved = (level: "info" | "warn" | "error", line: string) => {
    if (logFile !== undefined || !log.enabled(level)) options.onSaveReload?.(line);
  };
  // A reload on save says what it did in one line (and warns only of what is new); a SIGHUP's
  // lists the routes too, as at start.
  const doReload = async (onSave: boolean): Promise<boolean> => {
    if (!onSave) {
      log.info("Reloading the config");
      await watch?.remember();
    }
    try {
      const next = await loadCliConfig(ctx, flags);
      for (const warning of assertSafeExposure({ ...next.server, host })) log.warn(warning);
      // Compared with the config ccp started with: that is what these settings still are.
      const restart = restartNotes(first, next, { host, port, url: listenUrl });
      for (const text of onSave ? [] : restart) log.warn(text);
      const changes = reloadChanges(current, next);
      const was = current;
      current = next;
      cancelWarmUp();
      cancelOllamaCheck();
      // A reload that ends while ccp stops would load for requests that will never come.
      if (stopping === undefined) {
        cancelWarmUp = scheduleWarmUp(next, TRANSPORTS, { log });
        cancelOllamaCheck = ollama.schedule();
      }
      log.setLevel(levelFor(next));
      const changed = changes.length > 0 ? `Changed: ${changes.join("; ")}` : "Nothing changed";
      if (onSave) {
        // What needs a restart is part of the line: `ccp code` shows only this one.
        const line = [`Config file saved, reloaded. ${changed}`, ...restart].join(". ");
        const level = restart.length > 0 ? "warn" : "info";
        log[level](line);
        tellSaved(level, line);
        // New warnings only, said on `ccp code`'s terminal too, as its start-up's are.
        for (const warning of next.warnings.filter((w) => !was.warnings.includes(w))) {
          log.warn(warning);
          tellSaved("warn", `warning: ${warning}`);
        }
        return true;
      }
      log.info(`Config reloaded: ${configSourceText(next)}`);
      log.info(changed);
      for (const warning of next.warnings) log.warn(warning);
      for (const line of routeLines(next)) log.info(line);
      return true;
    } catch (err) {
      const line = `Config reload failed; keeping the previous config. ${messageOf(err)}`;
      log.error(line);
      if (onSave) tellSaved("error", line);
      return false;
    }
  };
  let reloading = Promise.resolve(true);
  const reloadOn = (onSave: boolean) => (reloading = reloading.then(() => doReload(onSave)));
  const reload = () => reloadOn(false);
  // Saving the config file or its `.env` reloads it, unless the config says not to.
  const files = first.server.watchConfig === false ? undefined : watchedFiles(first);
  const watch: ConfigWatch | undefined = files
    ? await watchConfig({ files, reload: () => reloadOn(true), warn: (text) => log.warn(text) })
    : undefined;

  let exit: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (exit = resolve));
  let stopping: Promise<void> | undefined;
  const drain = async () => {
    log.info(`Stopping: no new connections; requests in flight get up to ${graceMs / 1000} s`);
    cancelWarmUp();
    cancelOllamaCheck();
    ollama.close();
    const watchClosed = watch?.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    bound.stopAccepting();
    draining.abort();
    const { server } = bound;
    const outcome = await Promise.race([server.shutdown().then(() => "done" as const), grace]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      log.warn("Grace period over: ending the requests still in flight, then exiting");
      shuttingDown.abort();
      // Time for the error frames to reach the clients before the process goes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.unref();
    } else log.info("Stopped");
    await bound.cleanUp();
    await watchClosed;
    shared?.stop();
    await guards?.close();
    await ledger?.close().catch(() => {});
    exit(0);
  };
  const stop = () => (stopping ??= drain());

  if (options.handleSignals) {
    let firstAt: number | undefined;
    const removeStop = onSignals(stopSignals(ctx.os), () => {
      if (firstAt === undefined) {
        firstAt = performance.now();
        return void stop();
      }
      // One stop sent twice at once (`timeout` signals ccp, then ccp's process group) asks for
      // one drain; only a signal sent after it asks to skip the drain.
      if (performance.now() - firstAt < SAME_STOP_MS) return;
      log.warn("Second signal: exiting now");
      exit(130);
    });
    const removeReload = onSignals(reloadSignals(ctx.os), () => void reload());
    void finished.then(() => {
      removeStop();
      removeReload();
    });
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
  return { url, listenUrl, port: bound.port, config: () => current, reload, stop, finished };
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
