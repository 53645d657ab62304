/** A finished request's record as the ledger and observers get it, with the fields a test sets. */

import type { RequestRecord } from "../../src/pipeline/record.ts";

/** A served POST /v1/messages to `up/m` (10 in, 5 out, 200 ok), changed by `fields`. */
export function servedRecord(fields: Partial<RequestRecord> & { id: string }): RequestRecord {
  return {
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    provider: "up",
    model: "m",
    attempts: [],
    status: 200,
    outcome: "ok",
    usage: { inputTokens: 10, outputTokens: 5 },
    durationMs: 1,
    ...fields,
  };
}
