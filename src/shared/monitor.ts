/**
 * Watches the engines shared with other instances (`shared.postgres`, `shared.redis`): asks each
 * whether it answers every couple of seconds, says so in the log once when one goes away and once
 * when it is back, and tells the server whether to refuse requests (`on_unavailable: closed`).
 */

import { type Cancel, deadline, every } from "../core/deadlines.ts";
import type { Logger } from "../core/log.ts";
import { ProxyError } from "../core/errors.ts";

/** How often each engine is asked. */
const PING_EVERY_MS = 2000;
/**
 * A ping not answered by then counts as the engine being away: a database whose host is paused or
 * whose route dropped accepts the question and never answers, and the loss must show within 5 s.
 */
const PING_TIMEOUT_MS = 2000;

/** One engine: its name in /health and messages, and how to ask it. */
export interface SharedEngine {
  readonly name: "postgres" | "redis";
  readonly description: string;
  ping(): Promise<boolean>;
}

/** Reachability of the shared engines, updated in the background. */
export class SharedMonitor {
  readonly #engines: readonly SharedEngine[];
  readonly #reachable = new Map<string, boolean>();
  readonly #closed: boolean;
  readonly #log: Logger;
  #stopChecking: Cancel = () => {};

  constructor(engines: readonly SharedEngine[], mode: "open" | "closed", log: Logger) {
    this.#engines = engines;
    this.#closed = mode === "closed";
    this.#log = log;
    for (const e of engines) this.#reachable.set(e.name, true);
  }

  /** Asks every engine now, then every couple of seconds until {@link stop}. */
  async start(): Promise<void> {
    await this.check();
    this.#stopChecking = every(PING_EVERY_MS, () => void this.check());
  }

  /** Asks every engine once. */
  async check(): Promise<void> {
    await Promise.all(this.#engines.map(async (engine) => {
      const up = await answerWithin(engine.ping(), PING_TIMEOUT_MS).catch(() => false);
      const was = this.#reachable.get(engine.name);
      this.#reachable.set(engine.name, up);
      if (was && !up) {
        this.#log.warn(
          `${engine.description} is unreachable: ${
            this.#closed
              ? "requests get 503 until it is back (shared.on_unavailable: closed)"
              : "serving on local state until it is back (shared.on_unavailable: open)"
          }`,
        );
      } else if (!was && up) this.#log.info(`${engine.description} is reachable again`);
    }));
  }

  /** `{"postgres": {"reachable": true}, ...}` for /health. */
  state(): Record<string, { reachable: boolean }> {
    return Object.fromEntries(
      this.#engines.map((e) => [e.name, { reachable: this.#reachable.get(e.name) ?? false }]),
    );
  }

  /** In closed mode with an engine away: the 503 to answer; else undefined. */
  refusal(): ProxyError | undefined {
    if (!this.#closed) return undefined;
    const away = this.#engines.find((e) => this.#reachable.get(e.name) === false);
    if (!away) return undefined;
    return new ProxyError(
      "api_error",
      `${away.description} (shared.${away.name}) is unreachable and shared.on_unavailable is ` +
        `closed: ccp answers again when it is back`,
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }

  stop(): void {
    this.#stopChecking();
  }
}

/** `ping`'s answer, or false once `ms` have passed without one. */
function answerWithin(ping: Promise<boolean>, ms: number): Promise<boolean> {
  let cancel: Cancel | undefined;
  const late = new Promise<boolean>((resolve) => {
    cancel = deadline(ms, () => resolve(false));
  });
  return Promise.race([ping, late]).finally(() => cancel?.());
}
