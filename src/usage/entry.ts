/** One ledger line: what a finished request cost, without any prompt or answer text. */

import type { RequestRecord } from "../pipeline/record.ts";

/** A request as the usage ledger keeps it. */
export interface LedgerEntry {
  readonly id: string;
  /** Epoch milliseconds when the request arrived. */
  readonly at: number;
  readonly session?: string;
  readonly client: string;
  readonly clientModel?: string;
  readonly route?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly keyLabel?: string;
  readonly status: number;
  /** True when it ended in an error (status >= 400 or an error event mid-stream). */
  readonly error: boolean;
  readonly stream: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** USD; absent when no price is known for the model that served. */
  readonly costUsd?: number;
  readonly durationMs: number;
  readonly ttftMs?: number;
}

/** The ledger entry for a finished request, with its cost when known. */
export function entryOf(r: Readonly<RequestRecord>, costUsd: number | undefined): LedgerEntry {
  return {
    id: r.id,
    at: r.startedAt,
    ...(r.session !== undefined ? { session: r.session } : {}),
    client: r.client ?? "default",
    ...(r.clientModel !== undefined ? { clientModel: r.clientModel } : {}),
    ...(r.route !== undefined ? { route: r.route } : {}),
    ...(r.provider !== undefined ? { provider: r.provider } : {}),
    ...(r.model !== undefined ? { model: r.model } : {}),
    ...(r.keyLabel !== undefined ? { keyLabel: r.keyLabel } : {}),
    status: r.status,
    error: r.status >= 400 || r.outcome === "error",
    stream: r.stream === true,
    inputTokens: r.usage.inputTokens ?? 0,
    outputTokens: r.usage.outputTokens ?? 0,
    cacheReadTokens: r.usage.cacheReadInputTokens ?? 0,
    cacheWriteTokens: r.usage.cacheCreationInputTokens ?? 0,
    ...(costUsd !== undefined ? { costUsd } : {}),
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(r.ttftMs !== undefined ? { ttftMs: Math.round(r.ttftMs * 10) / 10 } : {}),
  };
}

/** Every token of an entry, as budgets count them. */
export function totalTokens(e: LedgerEntry): number {
  return e.inputTokens + e.outputTokens + e.cacheReadTokens + e.cacheWriteTokens;
}
