/**
 * A client that invents model names (`provider/<anything>` is routed as given) must not grow
 * /metrics without bound: past a fixed number of upstream models, the rest share one label.
 */

import assert from "node:assert/strict";
import { Metrics } from "../../src/observe/metrics.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

function record(model: string): RequestRecord {
  return {
    id: `req_${model}`,
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    clientModel: `anth/${model}`,
    route: "explicit",
    provider: "anth",
    model,
    attempts: [{
      provider: "anth",
      model,
      keyLabel: "key 1",
      status: 404,
      outcome: "failed",
      startedAt: Date.now(),
      durationMs: 3,
    }],
    status: 404,
    outcome: "error",
    usage: { inputTokens: 5 },
    durationMs: 4,
    ttftMs: 2,
  };
}

const resilience = () => ({ providers: {}, targets: {}, learned_params: {} });

Deno.test("/metrics: random model names from clients keep the series count bounded", () => {
  // Every model priced: the cost family is bounded like the others, and counts its overflow too.
  const metrics = new Metrics({ costOf: (r) => (r.usage.inputTokens ?? 0) / 1e6 });
  metrics.started();
  metrics.ended(record("claude-like-real"));
  for (let i = 0; i < 5000; i++) {
    metrics.started();
    metrics.ended(record(`random-${crypto.randomUUID()}`));
    metrics.counted({ provider: "anth", model: `random-${crypto.randomUUID()}`, via: "local" });
  }
  const text = metrics.render({ resilience, version: "t", startedAt: new Date() });
  const series = (name: string) =>
    text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).length;
  for (
    const name of [
      "ccp_requests_total",
      "ccp_tokens_total",
      "ccp_upstream_attempts_total",
      "ccp_request_duration_seconds_count",
      "ccp_time_to_first_token_seconds_count",
      "ccp_cost_usd_total",
      "ccp_count_tokens_total",
    ]
  ) {
    assert.ok(series(name) <= 1000, `${name}: ${series(name)} series`);
  }
  // The first models seen keep their names; the overflow is still counted, under one label.
  assert.match(
    text,
    /^ccp_requests_total\{route="explicit",provider="anth",model="claude-like-real",status="404"\} 1$/m,
  );
  const total = text.split("\n").filter((l) => l.startsWith("ccp_requests_total{"))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  assert.equal(total, 5001);
  assert.match(text, /^ccp_requests_total\{[^}]*model="other"[^}]*\} \d+$/m);
  const cost = text.split("\n").filter((l) => l.startsWith("ccp_cost_usd_total{"))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  assert.ok(Math.abs(cost - 5001 * 5 / 1e6) < 1e-9, `${cost}`);
  assert.match(text, /^ccp_count_tokens_total\{provider="anth",model="other",via="local"\} \d+$/m);
});

Deno.test("/metrics: a stream that fails after its 200 is counted as a stream error", () => {
  const metrics = new Metrics();
  const broken = { ...record("m"), status: 200, errorType: "overloaded_error" };
  broken.attempts[0] = { ...broken.attempts[0]!, status: 200, outcome: "answered" };
  metrics.started();
  metrics.ended(broken);
  metrics.started();
  metrics.ended({ ...record("m"), status: 200, outcome: "ok" });
  const text = metrics.render({ resilience, version: "t", startedAt: new Date() });
  assert.match(text, /^# TYPE ccp_stream_errors_total counter$/m);
  assert.match(text, /^ccp_stream_errors_total\{provider="anth",model="m"\} 1$/m);
});
