/**
 * One attempt's trace while tracing is on. An attempt may be sent more than once (a refused beta,
 * field or signature answered by a changed request): each try gets its own span id, told to the
 * upstream, and the tries before the last are kept for their own client spans.
 */

import type { ResentTry } from "../../pipeline/record.ts";
import type { TryTrace } from "../../upstream/try_trace.ts";
import { propagatedHeaders, randomHex, type TraceStart } from "./trace_context.ts";

export class AttemptTrace implements TryTrace {
  readonly #start: TraceStart;
  readonly #tracestate: string | null;
  #spanId = randomHex(8);
  #startedAt = Date.now();
  #began = performance.now();
  #headers: Record<string, string>;
  readonly #resent: ResentTry[] = [];

  constructor(start: TraceStart, tracestate: string | null) {
    this.#start = start;
    this.#tracestate = tracestate;
    this.#headers = propagatedHeaders(start, this.#spanId, tracestate);
  }

  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /** The current (after every re-send, the last) try's span. */
  get spanId(): string {
    return this.#spanId;
  }

  /** The tries sent again, oldest first. */
  get resent(): readonly ResentTry[] {
    return this.#resent;
  }

  /** Restarts the clock: the attempt's own work before the first send is no try's time. */
  sending(): void {
    this.#startedAt = Date.now();
    this.#began = performance.now();
  }

  again(status: number | undefined, why: string): void {
    const now = performance.now();
    this.#resent.push({
      spanId: this.#spanId,
      startedAt: this.#startedAt,
      durationMs: now - this.#began,
      ...(status !== undefined ? { status } : {}),
      reason: why,
    });
    this.#spanId = randomHex(8);
    this.#startedAt += now - this.#began;
    this.#began = now;
    this.#headers = propagatedHeaders(this.#start, this.#spanId, this.#tracestate);
  }
}
