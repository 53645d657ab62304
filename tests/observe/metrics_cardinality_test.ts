/**
 * A client that invents model names (`provider/<anything>` is routed as given) must not grow
 * /metrics without bound: past a fixed number of upstream models, the rest share one label.
 */

import assert from "node:assert/strict";
import { Metrics } from "../../src/observe/metrics.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { promtool } from "../helpers/promtool.ts";

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

Deno.test("/metrics: breakers follow the model-label bound, with stable series per state", async () => {
  const metrics = new Metrics({});
  const targets: Record<
    string,
    { state: "closed" | "open" | "half_open"; failures: number; opens: number }
  > = {
    "anth/real": { state: "open", failures: 5, opens: 1 },
  };
  // A client naming `anth/<anything>` makes a breaker per name, up to the breakers' own cap.
  for (let i = 0; i < 1000; i++) {
    targets[`anth/random-${i}`] = {
      state: i === 999 ? "half_open" : "closed",
      failures: 0,
      opens: 0,
    };
  }
  const render = () =>
    metrics.render({
      resilience: () => ({ providers: {}, targets, learned_params: {} }),
      version: "t",
      startedAt: new Date(),
    });
  const lines = (text: string) =>
    text.split("\n").filter((l) => l.startsWith("ccp_circuit_breaker_open{"));
  const first = lines(render());
  assert.ok(first.length <= 2 * 201, `${first.length} series`);
  assert.ok(
    first.includes(`ccp_circuit_breaker_open{provider="anth",model="real",state="open"} 1`),
  );
  assert.ok(
    first.includes(`ccp_circuit_breaker_open{provider="anth",model="real",state="half_open"} 0`),
  );
  // Past the bound, breakers share `other`: 1 while any of them is in that state.
  assert.ok(
    first.includes(`ccp_circuit_breaker_open{provider="anth",model="other",state="half_open"} 1`),
    first.filter((l) => l.includes("other")).join("\n"),
  );
  // A breaker changing state changes values, never which series exist.
  targets["anth/real"] = { state: "closed", failures: 0, opens: 1 };
  targets["anth/random-999"] = { state: "closed", failures: 0, opens: 0 };
  const second = lines(render());
  const names = (ls: string[]) => ls.map((l) => l.split(" ")[0]);
  assert.deepEqual(names(second), names(first));
  assert.ok(second.every((l) => l.endsWith(" 0")), second.filter((l) => !l.endsWith(" 0")).join());
  assert.equal(await promtool(render()), "");
});

Deno.test("/metrics: label values that share characters stay apart (each label keyed by its value)", () => {
  const metrics = new Metrics();
  const pairs = [["a", "b,c"], ["a,b", "c"], ["a", 'b","c'], ["a\u0000b", "c"], ["", "ab,c"]];
  for (const [provider, model] of pairs) {
    metrics.started();
    metrics.ended({ ...record(model!), provider: provider! });
  }
  const text = metrics.render({ resilience, version: "t", startedAt: new Date() });
  const requests = text.split("\n").filter((l) => l.startsWith("ccp_requests_total{"));
  assert.equal(requests.length, pairs.length);
  for (const line of requests) assert.match(line, / 1$/);
  assert.ok(
    requests.includes(
      'ccp_requests_total{route="explicit",provider="a",model="b\\",\\"c",status="404"} 1',
    ),
  );
});
