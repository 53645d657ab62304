/**
 * A request no provider served, and a count made without a target, say `none` for provider and
 * model alike in /metrics, as the usage ledger and the route label already do.
 */

import assert from "node:assert/strict";
import { Metrics } from "../../src/observe/metrics.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import type { CountRecord } from "../../src/pipeline/record.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { defaultConfig } from "../../src/config/default.ts";
import { silentLogger } from "../../src/core/log.ts";

const resilience = () => ({ providers: {}, targets: {}, learned_params: {} });

Deno.test("/metrics: a request refused before routing has model `none`, like its provider", () => {
  const metrics = new Metrics();
  metrics.started();
  metrics.ended({
    id: "req_unrouted",
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    attempts: [],
    status: 400,
    outcome: "error",
    usage: {},
    durationMs: 1,
  });
  const text = metrics.render({ resilience, version: "t", startedAt: new Date() });
  assert.match(
    text,
    /^ccp_requests_total\{route="none",provider="none",model="none",status="400"\} 1$/m,
  );
  assert.doesNotMatch(text, /model=""/);
});

Deno.test("count_tokens counted locally without a target is filed under provider and model `none`", async () => {
  const counted: CountRecord[] = [];
  const metrics = new Metrics();
  const pipeline = new Pipeline({
    config: () => defaultConfig({ env: {}, flags: {} }),
    fetch: () => Promise.reject(new Error("no upstream is asked")),
    log: silentLogger,
    transports: {},
    registry: new ResilienceRegistry(),
    countTokens: () => Promise.resolve(7),
    observers: [metrics, { ended: () => {}, counted: (c) => void counted.push(c) }],
  });
  const count = await pipeline.countTokens({
    body: { model: "m", messages: [{ role: "user", content: "hi" }] },
    resolution: { chain: [], rule: "default", route: "default" },
    headers: new Headers(),
    signal: new AbortController().signal,
  });
  assert.deepEqual(count, { inputTokens: 7, via: "local" });
  assert.deepEqual(counted, [{ provider: "none", model: "none", via: "local" }]);
  const text = metrics.render({ resilience, version: "t", startedAt: new Date() });
  assert.match(text, /^ccp_count_tokens_total\{provider="none",model="none",via="local"\} 1$/m);
});
