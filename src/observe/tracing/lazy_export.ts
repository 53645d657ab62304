/**
 * The request traces' exporter as `ccp serve` holds it: the exporter, its span builder and its
 * sender (~27 KB) load only once a config turns tracing on, since a start pays for every byte of
 * code it loads and tracing is off unless configured. The load starts as soon as a config (the
 * first or a reload) names a collector, so the first traced request finds it ready; a request that
 * ends before it is ready waits here and is handed over in order.
 */

import type { Config } from "../../config/types.ts";
import { messageOf } from "../../core/errors.ts";
import { lazyImport } from "../../core/lazy_modules.ts";
import type { Logger } from "../../core/log.ts";
import type { RequestObserver, RequestRecord } from "../../pipeline/record.ts";
import type { TraceCounts, TraceExport } from "./exporter.ts";

/** What /metrics reads of the traces: nothing exported and nothing dropped until they load. */
export interface TraceSource extends RequestObserver {
  counts(): TraceCounts;
}

const NOTHING_YET: TraceCounts = {
  exported: 0,
  dropped: { queue_full: 0, export_failed: 0, rejected: 0 },
};

/**
 * Requests kept while the exporter loads (a few milliseconds): the exporter's own queue bound, so
 * a load that keeps failing holds no more than tracing would.
 */
const MAX_WAITING = 2048;

/** {@link TraceExport}, loaded when a config first traces. */
export class LazyTraceExport implements TraceSource {
  readonly #config: () => Config;
  readonly #log: Logger;
  #export: TraceExport | undefined;
  #loading: Promise<TraceExport | undefined> | undefined;
  #waiting: Readonly<RequestRecord>[] = [];
  #closed = false;

  constructor(options: { config: () => Config; log: Logger }) {
    this.#config = options.config;
    this.#log = options.log;
    this.prepare(options.config());
  }

  /** Starts loading the exporter when `config` (one just loaded) traces. */
  prepare(config: Config): void {
    if (config.tracing && !this.#closed) this.#load();
  }

  ended(record: Readonly<RequestRecord>): void {
    if (this.#export) return this.#export.ended(record);
    // Without the exporter loaded, no config so far has traced: it has no spans to flush.
    if (this.#closed || !this.#config().tracing) return;
    if (this.#waiting.length < MAX_WAITING) this.#waiting.push(record);
    this.#load();
  }

  counts(): TraceCounts {
    return this.#export?.counts() ?? NOTHING_YET;
  }

  /** As {@link TraceExport.close}; what ended while the exporter loaded is sent first. */
  async close(): Promise<void> {
    this.#closed = true;
    const exporter = this.#export ?? await this.#loading;
    await exporter?.close();
  }

  #load(): void {
    this.#loading ??= lazyImport("observe/tracing/exporter.ts").then(
      ({ TraceExport }) => {
        const exporter = new TraceExport({ config: this.#config, log: this.#log });
        this.#export = exporter;
        for (const record of this.#waiting.splice(0)) exporter.ended(record);
        return exporter;
      },
      (err) => {
        // The next traced request tries again.
        this.#loading = undefined;
        this.#waiting = [];
        this.#log.warn(`Request traces: the exporter did not load: ${messageOf(err)}`);
        return undefined;
      },
    );
  }
}
