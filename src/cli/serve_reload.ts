/**
 * The config a running `ccp serve` uses, and its reloads (SIGHUP, a saved file): one at a time,
 * each one keeping the old config when the new one fails to load.
 */

import type { Config, LogLevel } from "../config/types.ts";
import { messageOf } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { CliFlags } from "./args.ts";
import type { ConfigWatch } from "./config_watch.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { assertSafeExposure, configSourceText, routeLines } from "./startup.ts";
import type { SwappableLogger } from "./swap_log.ts";

/** What a reload reads and tells. */
export interface ReloadDeps {
  readonly ctx: CliContext;
  readonly flags: CliFlags;
  readonly log: SwappableLogger;
  /** The log level a config asks for (quieter for `ccp code`). */
  readonly levelFor: (config: Config) => LogLevel;
  /** The config watch, once there is one: a SIGHUP lets it remember the files as they are. */
  readonly watch: () => ConfigWatch | undefined;
  /** Told a reload on save's line (and new warnings) where the log does not show them. */
  readonly tellSaved: (level: "info" | "warn" | "error", line: string) => void;
}

/** Where ccp listens: a reload cannot move it, so a config that does is told to restart. */
export interface Listening {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** Schedules the work a config in use wants done soon; returns what cancels it. */
export type ScheduleFor = (config: Config) => () => void;

/** The config in use, replaced by each reload that loads. */
export class ServedConfig {
  readonly #first: Config;
  readonly #deps: ReloadDeps;
  #current: Config;
  #listening: Listening | undefined;
  #scheduleFor: ScheduleFor = () => () => {};
  #cancel = () => {};
  #stopped = false;
  #reloading = Promise.resolve(true);

  constructor(first: Config, deps: ReloadDeps) {
    this.#first = this.#current = first;
    this.#deps = deps;
  }

  /** Once ccp listens: schedules the first config's work, and each reloaded one's after it. */
  start(listening: Listening, scheduleFor: ScheduleFor): void {
    this.#listening = listening;
    this.#scheduleFor = scheduleFor;
    this.#cancel = scheduleFor(this.#current);
  }

  /** The config in use. */
  get current(): Config {
    return this.#current;
  }

  /** Reloads after the reloads before it; resolves false when it failed (the old config stays). */
  reload(onSave: boolean): Promise<boolean> {
    return (this.#reloading = this.#reloading.then(() => this.#reload(onSave)));
  }

  /** ccp stops: the work scheduled ends, and a reload under way schedules none. */
  stop(): void {
    this.#stopped = true;
    this.#cancel();
  }

  // A reload on save says what it did in one line (and warns only of what is new); a SIGHUP's
  // lists the routes too, as at start.
  async #reload(onSave: boolean): Promise<boolean> {
    const { ctx, flags, log } = this.#deps;
    const listening = this.#listening!;
    if (!onSave) {
      log.info("Reloading the config");
      await this.#deps.watch()?.remember();
    }
    try {
      const next = await loadCliConfig(ctx, flags);
      // What a reload changed is worded only when one happens: no start loads it.
      const { reloadChanges, restartNotes } = await lazyImport("cli/reload_changes.ts");
      for (const warning of assertSafeExposure({ ...next.server, host: listening.host })) {
        log.warn(warning);
      }
      // Compared with the config ccp started with: that is what these settings still are.
      const restart = restartNotes(this.#first, next, listening);
      for (const text of onSave ? [] : restart) log.warn(text);
      const changes = reloadChanges(this.#current, next);
      const was = this.#current;
      this.#current = next;
      this.#cancel();
      // A reload that ends while ccp stops would load for requests that will never come.
      if (!this.#stopped) this.#cancel = this.#scheduleFor(next);
      log.setLevel(this.#deps.levelFor(next));
      const changed = changes.length > 0 ? `Changed: ${changes.join("; ")}` : "Nothing changed";
      if (onSave) this.#savedLines(changed, restart, was, next);
      else {
        log.info(`Config reloaded: ${configSourceText(next)}`);
        log.info(changed);
        for (const warning of next.warnings) log.warn(warning);
        for (const line of routeLines(next)) log.info(line);
      }
      return true;
    } catch (err) {
      const line = `Config reload failed; keeping the previous config. ${messageOf(err)}`;
      log.error(line);
      if (onSave) this.#deps.tellSaved("error", line);
      return false;
    }
  }

  /** A reload on save's line, and the warnings the new config adds, on `ccp code`'s terminal too. */
  #savedLines(changed: string, restart: readonly string[], was: Config, next: Config): void {
    const { log, tellSaved } = this.#deps;
    // What needs a restart is part of the line: `ccp code` shows only this one.
    const line = [`Config file saved, reloaded. ${changed}`, ...restart].join(". ");
    const level = restart.length > 0 ? "warn" : "info";
    log[level](line);
    tellSaved(level, line);
    // New warnings only, as `ccp code`'s start-up shows its own.
    for (const warning of next.warnings.filter((w) => !was.warnings.includes(w))) {
      log.warn(warning);
      tellSaved("warn", `warning: ${warning}`);
    }
  }
}
