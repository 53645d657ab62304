/** A web tool loop's rounds are not attempts on its log line: only retries and failovers are. */

import assert from "node:assert/strict";
import { formatRecord } from "../../src/pipeline/log_observer.ts";
import type { AttemptRecord } from "../../src/pipeline/record.ts";

const attempt = (
  provider: string,
  outcome: "answered" | "failed",
  status?: number,
): AttemptRecord => ({
  provider,
  model: "m",
  keyLabel: "key 1",
  ...(status !== undefined ? { status } : {}),
  outcome,
  startedAt: 0,
  durationMs: 1,
});

const line = (attempts: AttemptRecord[]) =>
  formatRecord({
    id: "req_x",
    startedAt: 0,
    method: "POST",
    path: "/v1/messages",
    clientModel: "claude-sonnet-4-5",
    provider: attempts.at(-1)!.provider,
    model: "m",
    attempts,
    status: 200,
    outcome: "ok",
    usage: {},
    durationMs: 12,
  });

Deno.test("a web search answer's rounds read rounds=N, not attempts", () => {
  // Round 1 on small, round 2 (grown past small's window) on large: nothing failed.
  const two = line([attempt("small", "answered", 200), attempt("large", "answered", 200)]);
  assert.match(two, / rounds=2$/);
  assert.doesNotMatch(two, /attempts=/);
});

Deno.test("a retry inside a round is still an attempt, beside the rounds", () => {
  const retried = line([
    attempt("small", "answered", 200),
    attempt("large", "failed", 429),
    attempt("other", "answered", 200),
  ]);
  assert.match(retried, / rounds=2 attempts=3 \(failed: large\/m 429\)$/);
  // One round with a failover reads as before.
  const failover = line([attempt("a", "failed", 500), attempt("b", "answered", 200)]);
  assert.match(failover, / attempts=2 \(failed: a\/m 500\)$/);
  assert.doesNotMatch(failover, /rounds=/);
});
