/** The contract between the benchmark and its load generator process. */

/** One batch of streaming requests, all alike. */
export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Bodies sent in turn instead of `body` (request i sends bodies[i % length]): a growing session. */
  bodies?: string[];
  /** Requests in the batch. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Text whose first appearance in the body marks the first token (`token0`). */
  marker: string;
  /** Record the gaps between consecutive body reads that carry a text token (`token<n>`). */
  gaps: boolean;
  /** Print an `open` event once every request has its first byte (needs requests ≤ concurrency). */
  announceOpen?: boolean;
  /** The whole batch is abandoned after this long. */
  timeoutMs: number;
}

/** What the load generator measured, in ms unless named otherwise. */
export interface LoadResult {
  ok: number;
  failed: number;
  /** The first few failure messages. */
  errors: string[];
  /** Request start → first body chunk. */
  ttfbMs: number[];
  /** Request start → the chunk that completed the marker. */
  ttftMs: number[];
  /** Gaps between consecutive token-carrying reads, every stream pooled (when `gaps`). */
  gapsMs: number[];
  /** Body reads per successful stream. */
  reads: number[];
  /** Token-carrying body reads per successful stream (when `gaps`): fewer means coalescing. */
  tokenReads: number[];
  bytes: number;
  elapsedMs: number;
}

/** Lines the load generator prints: `open` once every stream is open, then `result <json>`. */
export const LOAD_LINES = { open: "open", result: "result " } as const;
