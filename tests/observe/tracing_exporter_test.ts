/**
 * The trace exporter against a mock collector: sampling by ratio, retries (Retry-After, no retry
 * on a 400), a dead and a slow collector (the request's side unaffected, the drop counted and
 * shown on /metrics, the trouble logged once), a full queue, and the CPU a traced request adds.
 */

import assert from "node:assert/strict";
import type { Config, TracingConfig } from "../../src/config/types.ts";
import { createLogger } from "../../src/core/log.ts";
import { type ExportLimits, TraceExport } from "../../src/observe/tracing/exporter.ts";
import { keptByRatio, parseTraceparent } from "../../src/observe/tracing/trace_context.ts";
import { exportBody, retryAfterMs } from "../../src/observe/tracing/send.ts";
import { unixNano } from "../../src/observe/tracing/spans.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { configWithTracing, tracingConfig, upRecord } from "../helpers/tracing.ts";
import { type Collector, startCollector } from "../mocks/otlp_collector.ts";
import { startCcp } from "../helpers/ccp.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { postMessages } from "../helpers/ccp.ts";
import { cpuTimed } from "../helpers/cpu_time.ts";

/** Traces to `url` with the collector's key; `over` changes any part. */
function tracing(url: string, over: Partial<TracingConfig> = {}): TracingConfig {
  return tracingConfig(url, {
    headers: { authorization: "Bearer collector-key-0123456789" },
    ...over,
  });
}

/** An exporter on `config`, quick to retry, with its log lines kept. */
function exporter(config: () => Config, limits: Partial<ExportLimits> = {}) {
  const logs: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(line), colour: false });
  const traces = new TraceExport({
    config,
    log,
    limits: { delayMs: 20, baseDelayMs: 5, maxDelayMs: 20, tries: 3, closeMs: 3_000, ...limits },
  });
  return { traces, logs };
}

async function waitFor(done: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port nothing listens on. */
function deadUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

Deno.test("tracing: sampling keeps the ratio's share of traces, the same answer per trace id", async () => {
  const collector = startCollector();
  const { traces } = exporter(() =>
    configWithTracing(tracing(collector.url, { sampleRatio: 0.25 }))
  );
  try {
    for (let i = 0; i < 800; i++) traces.ended(upRecord(i));
    await traces.close();
    const kept = new Set(collector.spans().map((s) => s.traceId)).size;
    // Binomial(800, 0.25): 200 ± 12; far outside that, the ratio is not applied.
    assert.ok(kept > 140 && kept < 260, `kept ${kept} of 800`);
    assert.deepEqual(collector.problems, []);
  } finally {
    await collector.close();
  }
  const id = "4bf92f3577b34da6a3ce929d0e0e4736";
  assert.equal(keptByRatio(id, 0.5), keptByRatio(id, 0.5));
  assert.equal(keptByRatio(id, 0), false);
  assert.equal(keptByRatio(id, 1), true);
  // A ratio keeps the ids whose low bits fall under it, so a larger ratio keeps a superset.
  assert.equal(keptByRatio("0".repeat(19) + "0000000000001", 0.001), true);
  assert.equal(keptByRatio("0".repeat(19) + "fffffffffffff", 0.999), false);
});

Deno.test("tracing: traceparent parsing follows W3C Trace Context", () => {
  const ok = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  assert.deepEqual(ok, {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    sampled: true,
  });
  for (
    const bad of [
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "garbage",
    ]
  ) assert.equal(parseTraceparent(bad), undefined, bad);
  // A later version may add fields after the four it shares with 00.
  assert.ok(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more"));
  assert.equal(unixNano(1_700_000_000_123.5), "1700000000123500000");
  assert.equal(unixNano(1_700_000_000_000), "1700000000000000000");
});

Deno.test("tracing: 503 with Retry-After is retried; a 400 is not, and is logged once", async () => {
  const collector = startCollector([
    { status: 503, headers: { "retry-after": "0" } },
    { status: 200 },
  ]);
  const { traces, logs } = exporter(() => configWithTracing(tracing(collector.url)));
  try {
    traces.ended(upRecord(1));
    await waitFor(() => traces.counts().exported === 2);
    assert.equal(collector.requests, 2);
    assert.equal(traces.counts().dropped.export_failed, 0);
    assert.ok(
      !logs.some((l) => /Traces not delivered/.test(l)),
      "a retry that worked is no trouble",
    );

    collector.replies.push({ status: 400, body: '{"message":"bad data"}' });
    const before = collector.requests;
    traces.ended(upRecord(2));
    await waitFor(() => traces.counts().dropped.export_failed === 2);
    traces.ended(upRecord(3));
    await waitFor(() => traces.counts().dropped.export_failed === 4);
    assert.equal(collector.requests - before, 2, "one request per batch: a 400 is not retried");
    const said = logs.filter((l) => /HTTP 400: bad data/.test(l));
    assert.equal(said.length, 1, "the same trouble is logged once, not per batch");
    // Reachable again: said once.
    collector.replies.push({ status: 200 });
    traces.ended(upRecord(4));
    await waitFor(() => traces.counts().exported === 4);
    assert.equal(logs.filter((l) => /reach the OTLP collector .* again/.test(l)).length, 1);
  } finally {
    await traces.close();
    await collector.close();
  }
  assert.equal(retryAfterMs("7"), 7_000);
  assert.equal(retryAfterMs(new Date(Date.now() + 3_000).toUTCString()) !== undefined, true);
  assert.equal(retryAfterMs("3600"), 60_000, "capped at a minute");
  assert.equal(retryAfterMs(null), undefined);
});

Deno.test("tracing: a dead collector costs the request nothing; the drop shows on /metrics", async () => {
  const upstream = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 3, output_tokens: 2 }),
  }]);
  const base = testConfig({
    providers: [provider("up", { type: "anthropic", baseUrl: upstream.url })],
    routes: { default: "up/m" },
  });
  const config = { ...base, tracing: tracing(deadUrl()) };
  const { traces, logs } = exporter(() => config, { tries: 2 });
  const ccp = startCcp(config, { traces });
  try {
    for (let i = 0; i < 3; i++) {
      const began = performance.now();
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.ok(performance.now() - began < 2_000);
    }
    await waitFor(() => traces.counts().dropped.export_failed === 6);
    const metrics = await (await fetch(`${ccp.url}/metrics`)).text();
    assert.match(metrics, /ccp_trace_spans_dropped_total\{reason="export_failed"\} 6/);
    assert.match(metrics, /ccp_trace_spans_exported_total 0/);
    const warned = logs.filter((l) => /Traces not delivered .*cannot reach it/.test(l));
    assert.equal(warned.length, 1, "once per change of trouble, not per batch");
    assert.ok(!logs.join("\n").includes("collector-key-0123456789"));
  } finally {
    await traces.close();
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("tracing: a collector's redirect is not followed: its headers go nowhere else", async () => {
  const reached: string[] = [];
  const elsewhere = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    reached.push(`${req.headers.get("x-honeycomb-team")} ${req.headers.get("authorization")}`);
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  const moved = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(null, {
        status: 307,
        headers: { location: `http://localhost:${elsewhere.addr.port}/v1/traces` },
      }),
  );
  const headers = {
    authorization: "Bearer collector-key-0123456789",
    "x-honeycomb-team": "team-key-0123456789",
  };
  const url = `http://127.0.0.1:${moved.addr.port}`;
  const { traces, logs } = exporter(() => configWithTracing(tracing(url, { headers })));
  try {
    traces.ended(upRecord(1));
    await waitFor(() => traces.counts().dropped.export_failed === 2);
    assert.deepEqual(reached, [], "nothing reached where the redirect pointed");
    assert.equal(traces.counts().exported, 0);
    const warned = logs.filter((l) => /Traces not delivered/.test(l));
    assert.equal(warned.length, 1, logs.join("\n"));
    assert.match(
      warned[0]!,
      /HTTP 307 \(a redirect to http:\/\/localhost:\d+\/v1\/traces, not followed/,
    );
    assert.ok(!logs.join("\n").includes("0123456789"));
  } finally {
    await traces.close();
    await moved.shutdown();
    await elsewhere.shutdown();
  }
});

Deno.test("tracing: a slow collector times out, its queue fills and drops, ended() stays quick", async () => {
  const collector = startCollector([{ delayMs: 400 }]);
  const { traces, logs } = exporter(
    () => configWithTracing(tracing(collector.url, { timeoutMs: 100 })),
    { maxQueue: 8, maxBatch: 4, tries: 1 },
  );
  try {
    // 2 spans per request: 4 fit, the rest find the queue full while the first batch waits.
    const { ms } = await cpuTimed(() => {
      for (let i = 0; i < 10; i++) traces.ended(upRecord(i));
    });
    assert.ok(ms < 50, `10 requests' spans took ${ms} ms of CPU`);
    assert.equal(traces.counts().dropped.queue_full, 12);
    await waitFor(() => traces.counts().dropped.export_failed === 8);
    assert.equal(logs.filter((l) => /Trace queue full/.test(l)).length, 1);
    assert.ok(logs.some((l) => /no answer within 100 ms/.test(l)));
  } finally {
    await traces.close();
    await collector.close();
  }
});

Deno.test("tracing: a stop sends what is queued; tracing off makes no spans", async () => {
  const collector = startCollector();
  let current = configWithTracing(undefined);
  const { traces } = exporter(() => current, { delayMs: 60_000 });
  try {
    traces.ended(upRecord(1));
    assert.equal(traces.counts().exported, 0);
    current = configWithTracing(tracing(collector.url));
    traces.ended(upRecord(2));
    traces.ended(upRecord(3));
    assert.equal(collector.requests, 0, "the timer has not fired");
    await traces.close();
    assert.equal(collector.spans().length, 4, "the stop flushed both requests' spans");
    traces.ended(upRecord(4));
    assert.equal(traces.counts().exported, 4, "a closed exporter makes no more");
  } finally {
    await collector.close();
  }
});

Deno.test("tracing: one traced request's added CPU is small (measured per request)", async () => {
  const collector: Collector = startCollector();
  const on = exporter(() => configWithTracing(tracing(collector.url)), { delayMs: 60_000 }).traces;
  const off = exporter(() => configWithTracing(undefined)).traces;
  try {
    const n = 2_000;
    const records = Array.from({ length: n }, (_, i) => upRecord(i));
    const timeOn = await cpuTimed(() => records.forEach((r) => on.ended(r)));
    const timeOff = await cpuTimed(() => records.forEach((r) => off.ended(r)));
    const perRequestUs = ((timeOn.ms - timeOff.ms) / n) * 1000;
    // About 10-20 µs each on the reference machine; a bound well above catches a regression.
    assert.ok(perRequestUs < 200, `${perRequestUs.toFixed(1)} µs per traced request`);
  } finally {
    await on.close();
    await off.close();
    await collector.close();
  }
});

Deno.test("tracing: the config's batch settings size the batches, pace them and bound an export", async () => {
  const collector = startCollector();
  // The exporter's own delay is a minute: only the config's 20 ms sends before the stop.
  const { traces } = exporter(
    () => configWithTracing(tracing(collector.url, { batch: { maxBatch: 3, delayMs: 20 } })),
    { delayMs: 60_000 },
  );
  try {
    traces.ended(upRecord(1));
    traces.ended(upRecord(2));
    await waitFor(() => traces.counts().exported === 4);
    assert.deepEqual(collector.exports.map((e) => e.spans.length), [3, 1]);
  } finally {
    await traces.close();
    await collector.close();
  }
  // A collector that never answers in time: the export's bound (not 5 tries of 900 ms) gives up.
  const slow = startCollector([{ delayMs: 1_000 }]);
  const bounded = exporter(
    () =>
      configWithTracing(
        tracing(slow.url, { timeoutMs: 900, batch: { delayMs: 1, exportTimeoutMs: 150 } }),
      ),
    { tries: 5, baseDelayMs: 10, maxDelayMs: 10 },
  );
  try {
    const started = performance.now();
    bounded.traces.ended(upRecord(1));
    await waitFor(() => bounded.traces.counts().dropped.export_failed === 2);
    const ms = performance.now() - started;
    assert.ok(ms < 800, `the export gave up after ${Math.round(ms)} ms`);
    assert.ok(
      bounded.logs.some((l) => /no answer within 1\d\d ms/.test(l)),
      bounded.logs.join("\n"),
    );
  } finally {
    await bounded.traces.close();
    await slow.close();
  }
});

Deno.test("tracing: the resource names each attribute once; a service.version the user set wins", () => {
  const t = tracing("http://127.0.0.1:4318", {
    resource: { "service.version": "team-build-7", "deployment.environment": "prod" },
  });
  const body = JSON.parse(exportBody([], t)) as {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue: string } }[] };
    }[];
  };
  const attributes = body.resourceSpans[0]!.resource.attributes;
  const keys = attributes.map((a) => a.key);
  // OTLP: a key appears once among a resource's attributes.
  assert.deepEqual(keys, [...new Set(keys)]);
  const value = (key: string) => attributes.find((a) => a.key === key)?.value.stringValue;
  assert.equal(value("service.version"), "team-build-7");
  assert.equal(value("service.name"), "ccp");
  assert.equal(value("deployment.environment"), "prod");
  // Without one set, ccp's version names the service's.
  const plain = JSON.parse(exportBody([], tracing("http://127.0.0.1:4318"))) as typeof body;
  assert.ok(
    plain.resourceSpans[0]!.resource.attributes.some((a) => a.key === "service.version"),
  );
});

Deno.test("tracing: a collector that quotes its key without the scheme (Bearer, Basic) is not logged", async () => {
  const key = "hc-team-4f9a";
  const collector = startCollector([{ status: 401, body: `{"message":"unknown API key ${key}"}` }]);
  const { traces, logs } = exporter(() =>
    configWithTracing(tracing(collector.url, { headers: { authorization: `Bearer ${key}` } }))
  );
  try {
    traces.ended(upRecord(1));
    await waitFor(() => traces.counts().dropped.export_failed === 2);
    const said = logs.join("\n");
    assert.match(said, /HTTP 401: unknown API key/);
    assert.ok(!said.includes(key), said);
  } finally {
    await traces.close();
    await collector.close();
  }
});
