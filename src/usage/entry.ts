/** One ledger line: what a finished request cost, without any prompt or answer text. */

import type { RequestRecord } from "../pipeline/record.ts";
import type { PassedNote } from "../resilience/passed_over.ts";

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
  /** The route's target it was not sent to first, and why (a key cooling, a circuit open). */
  readonly passed?: PassedNote;
}

/**
 * The most one token count of an entry holds. Upstreams report their own numbers: a fractional
 * one, or one no model could reach (garbage, an overflow), would be refused by the stores'
 * whole-number counters, and with it the batch and every record waiting behind it. No context or
 * answer comes near a billion tokens.
 */
const MAX_TOKENS = 1e9;
/** The most one entry costs, for the same reason: its nano-dollars are a 64-bit counter. */
const MAX_COST_USD = 1e6;

/** A count as the stores keep it: a whole number within {@link MAX_TOKENS}. */
function storedCount(n: number | undefined): number {
  return n === undefined ? 0 : Math.min(Math.round(n), MAX_TOKENS);
}

/**
 * The most UTF-8 bytes of an upstream model name an entry keeps. A client may name any model of
 * up to 1024 characters, 3 KiB and more in UTF-8, and the embedded store keys its hourly sums by
 * the name within 2 KiB: a longer key would have it refuse the batch.
 */
const MAX_MODEL_BYTES = 1024;

/**
 * A name a client chose, as the ledger keeps it: PostgreSQL refuses text holding a NUL, which
 * JSON lets a client send (`"model": "a\u0000b"`), and would refuse the batch with it.
 */
function storedText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\ufffd") : text;
}

/** `model` as the ledger keeps it: cut to {@link MAX_MODEL_BYTES}, ending in an ellipsis. */
function storedModel(name: string): string {
  const model = storedText(name);
  // No name of this many characters or fewer can be over (3 bytes per UTF-16 unit at most).
  if (model.length * 3 <= MAX_MODEL_BYTES) return model;
  if (new TextEncoder().encode(model).length <= MAX_MODEL_BYTES) return model;
  let bytes = 3; // the mark's
  let kept = "";
  for (const c of model) {
    const code = c.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes > MAX_MODEL_BYTES) break;
    kept += c;
  }
  return `${kept}\u2026`;
}

/** The ledger entry for a finished request, with its cost when known. */
export function entryOf(r: Readonly<RequestRecord>, costUsd: number | undefined): LedgerEntry {
  return {
    id: r.id,
    at: r.startedAt,
    ...(r.session !== undefined ? { session: r.session } : {}),
    client: r.client ?? "default",
    ...(r.clientModel !== undefined ? { clientModel: storedText(r.clientModel) } : {}),
    ...(r.route !== undefined ? { route: r.route } : {}),
    ...(r.provider !== undefined ? { provider: r.provider } : {}),
    ...(r.model !== undefined ? { model: storedModel(r.model) } : {}),
    ...(r.keyLabel !== undefined ? { keyLabel: r.keyLabel } : {}),
    status: r.status,
    error: r.status >= 400 || r.outcome === "error",
    stream: r.stream === true,
    inputTokens: storedCount(r.usage.inputTokens),
    outputTokens: storedCount(r.usage.outputTokens),
    cacheReadTokens: storedCount(r.usage.cacheReadInputTokens),
    cacheWriteTokens: storedCount(r.usage.cacheCreationInputTokens),
    ...(costUsd !== undefined ? { costUsd: Math.min(costUsd, MAX_COST_USD) } : {}),
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(r.ttftMs !== undefined ? { ttftMs: Math.round(r.ttftMs * 10) / 10 } : {}),
    ...(r.passedNote !== undefined ? { passed: r.passedNote } : {}),
  };
}

/** Every token of an entry, as budgets count them. */
export function totalTokens(e: LedgerEntry): number {
  return e.inputTokens + e.outputTokens + e.cacheReadTokens + e.cacheWriteTokens;
}
