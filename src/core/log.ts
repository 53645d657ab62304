/** A small levelled logger: one line per event on stderr, colour only on a TTY. */

import type { LogFormat, LogLevel } from "../config/types.ts";
import { printableLines } from "./text.ts";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLOUR: Readonly<Record<LogLevel, string>> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};
const RESET = "\x1b[0m";

/** What the rest of ccp logs through; injected so tests can capture lines. */
export interface Logger {
  readonly level: LogLevel;
  /** `fields` are structured data for JSON lines (a text line shows only the message). */
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** True when messages at `level` would be written. */
  enabled(level: LogLevel): boolean;
  /** True when lines carry their `fields` (JSON): a text line drops them, so none need be built. */
  readonly structured: boolean;
}

/** Structured data attached to a log line; never a key. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** `text` (default): `<time> <LEVEL> <message>`; `json`: one object per line. */
  format?: LogFormat;
  /** Where lines go; defaults to stderr. */
  write?: (line: string) => void;
  /**
   * Writes out the lines `write` holds back, if it does: called after each warn and error line,
   * so that a line worth reading now is not held with the others.
   */
  flush?: () => void;
  /** Colour the level tag; defaults to whether stderr is a terminal. */
  colour?: boolean;
  now?: () => Date;
}

/**
 * The message with control and bidi characters escaped and continuation lines indented. Messages
 * quote clients and upstreams (model names, error text): a control character could recolour or
 * rewrite the operator's terminal, a line break could forge a log line, and a bidi override would
 * draw the rest of its line backwards in a terminal that supports bidi.
 */
function inert(message: string): string {
  return printableLines(message).replace(/\n/g, "\n    ");
}

/** Creates a logger writing `<ISO time> <LEVEL> <message>` lines, or JSON objects. */
export function createLogger(options: LoggerOptions): Logger {
  const encoder = new TextEncoder();
  const write = options.write ?? ((line: string) => Deno.stderr.writeSync(encoder.encode(line)));
  const json = options.format === "json";
  const colour = !json && (options.colour ?? Deno.stderr.isTerminal());
  const now = options.now ?? (() => new Date());
  const threshold = RANK[options.level];
  // Each level's tag as a line shows it, made once rather than on every line.
  const tags = {} as Record<LogLevel, string>;
  for (const level of Object.keys(RANK) as LogLevel[]) {
    const tag = level.toUpperCase().padEnd(5);
    tags[level] = colour ? `${COLOUR[level]}${tag}${RESET}` : tag;
  }
  const flush = options.flush;
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    if (json) {
      // JSON.stringify escapes control characters and line breaks: one line, one event.
      write(`${JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields })}\n`);
    } else {
      write(`${now().toISOString()} ${tags[level]} ${inert(message)}\n`);
    }
    if (flush !== undefined && RANK[level] >= RANK.warn) flush();
  };
  return {
    level: options.level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled: (level) => RANK[level] >= threshold,
    structured: json,
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });
