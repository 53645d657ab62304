/**
 * `ccp serve`'s log: to a file when the options or the config name one, else to stderr; its level
 * follows each config loaded, quieter for `ccp code` unless --log-level says otherwise. Lines are
 * written once per turn of the event loop, and every line held is written before ccp exits.
 */

import type { Config, LogLevel } from "../config/types.ts";
import { messageOf } from "../core/errors.ts";
import { createLogger } from "../core/log.ts";
import { lineBatch } from "../core/line_batch.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { fileSink } from "./log_file.ts";
import { type SwappableLogger, swappableLogger } from "./swap_log.ts";

/** What of `ccp serve`'s options its log depends on. */
export interface ServeLogOptions {
  readonly ctx: CliContext;
  readonly flags: CliFlags;
  readonly quiet?: boolean;
  readonly logFile?: string;
}

// Every way out writes what is held: Deno.exit (ccp's every end, a stop signal's included) runs
// `unload`, and an uncaught error runs `error` or `unhandledrejection` before Deno reports it.
const EXIT_EVENTS = ["unload", "error", "unhandledrejection"] as const;

/**
 * The server's log; `flush`, which writes what is held now, and `closed`, which also lets the exit
 * hooks go.
 */
export async function serveLog(options: ServeLogOptions, first: Config): Promise<{
  log: SwappableLogger;
  logFile: string | undefined;
  levelFor: (config: Config) => LogLevel;
  flush: () => void;
  closed: () => void;
}> {
  const { ctx, flags } = options;
  const levelFor = (config: Config): LogLevel => {
    const level = config.server.logLevel;
    if (!options.quiet || flags.logLevel) return level;
    return level === "error" ? "error" : "warn";
  };
  const { logFormat } = first.server;
  const logFile = options.logFile ?? first.server.logFile;
  const out = logFile
    ? droppingFailures(await fileSink(logFile), (why) =>
      ctx.io.err(
        `ccp: cannot write the log file ${logFile}: ${why}; its lines are dropped until it can ` +
          "be written again",
      ))
    // Where stderr itself fails there is nowhere to say so (a closed pipe is dropped already).
    : droppingFailures((text: string) => ctx.io.err(text.replace(/\n$/, "")), () => {});
  const lines = lineBatch(out);
  const log = swappableLogger(
    (level) =>
      createLogger({
        level,
        format: logFormat,
        write: lines.write,
        flush: lines.flush,
        colour: logFile ? false : ctx.colour,
      }),
    levelFor(first),
  );
  for (const type of EXIT_EVENTS) globalThis.addEventListener(type, lines.flush);
  const closed = () => {
    lines.flush();
    for (const type of EXIT_EVENTS) globalThis.removeEventListener(type, lines.flush);
  };
  return { log, logFile, levelFor, flush: lines.flush, closed };
}

/**
 * `out`, whose failures (a full disk, a pipe whose reader went) drop the lines it was given: the
 * lines are written at the end of a turn, where a throw would end the process, or at a warning,
 * where it would fail the request that logs it. `tell` hears why once each time writes start to
 * fail.
 */
function droppingFailures(
  out: (text: string) => void,
  tell: (why: string) => void,
): (text: string) => void {
  let failing = false;
  return (text) => {
    try {
      out(text);
      failing = false;
    } catch (err) {
      if (failing) return;
      failing = true;
      tell(messageOf(err));
    }
  };
}
