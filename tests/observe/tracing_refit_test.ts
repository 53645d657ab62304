/**
 * A try a local server refused for `max_tokens` over its window, sent again with `max_tokens`
 * fitted: the next try's client span is the re-send it is (`ccp.attempt.kind: resend`, as a try
 * sent again without a refused field), not a retry after a failure.
 */

import assert from "node:assert/strict";
import type { AttemptRecord, RequestRecord } from "../../src/pipeline/record.ts";
import { requestSpans } from "../../src/observe/tracing/spans.ts";
import { attr, type Span } from "../mocks/otlp_collector.ts";

const tried = (outcome: AttemptRecord["outcome"], status: number, at: number): AttemptRecord => ({
  provider: "local",
  model: "qwen3-coder",
  keyLabel: "no key",
  status,
  outcome,
  ...(outcome === "answered" ? {} : { reason: "max_tokens over the window" }),
  startedAt: at,
  durationMs: 5,
});

Deno.test("tracing: the try after one refused for max_tokens and sent again fitted is a resend", () => {
  const record: RequestRecord = {
    id: "req_1",
    startedAt: 1_000,
    method: "POST",
    path: "/v1/messages",
    provider: "local",
    model: "qwen3-coder",
    attempts: [tried("resent", 400, 1_000), tried("answered", 200, 1_010)],
    status: 200,
    outcome: "ok",
    usage: { inputTokens: 10, outputTokens: 2 },
    durationMs: 20,
  };
  // As the collector reads them: plain JSON.
  const spans = JSON.parse(JSON.stringify(
    requestSpans(record, { traceId: "0".repeat(31) + "1", sampled: true }, {
      provider: () => undefined,
    }),
  )) as Span[];
  assert.equal(spans.length, 3);
  const [, refused, served] = spans;
  assert.equal(attr(refused!, "ccp.attempt.kind"), "first");
  assert.equal(attr(refused!, "error.type"), "400");
  assert.equal(attr(served!, "ccp.attempt.kind"), "resend");
  assert.equal(attr(served!, "ccp.attempt.after"), "max_tokens over the window");
  assert.equal(attr(served!, "error.type"), undefined);
});
