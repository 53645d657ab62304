/**
 * The traces' exporter as `ccp serve` holds it, loaded once a config traces: requests that end
 * while it loads still reach the collector, in order; a reload that turns tracing on traces the
 * next request; without tracing nothing is counted and a stop waits for nothing.
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { createLogger } from "../../src/core/log.ts";
import { LazyTraceExport } from "../../src/observe/tracing/lazy_export.ts";
import { configWithTracing, tracingConfig, upRecord } from "../helpers/tracing.ts";
import { startCollector } from "../mocks/otlp_collector.ts";

function exporter(config: () => Config) {
  const logs: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(line), colour: false });
  return { traces: new LazyTraceExport({ config, log }), logs };
}

/** The request ids of the spans the collector took, in the order they arrived, once each. */
function requestIds(spans: { attributes: { key: string; value: unknown }[] }[]): string[] {
  const ids: string[] = [];
  for (const span of spans) {
    const attr = span.attributes.find((a) => a.key === "ccp.request.id");
    const id = (attr?.value as { stringValue?: string } | undefined)?.stringValue;
    if (id !== undefined && ids.at(-1) !== id) ids.push(id);
  }
  return ids;
}

Deno.test("lazy traces: requests that end while the exporter loads reach the collector, in order", async () => {
  const collector = startCollector();
  const config = configWithTracing(tracingConfig(collector.url));
  const { traces, logs } = exporter(() => config);
  try {
    // The exporter's load has only started: these end before it is there.
    for (let i = 0; i < 3; i++) traces.ended(upRecord(i));
    assert.equal(traces.counts().exported, 0);
    await traces.close();
    assert.deepEqual(requestIds(collector.spans()), ["req_0", "req_1", "req_2"]);
    assert.equal(traces.counts().exported, collector.spans().length);
    assert.ok(collector.spans().length >= 3);
    assert.deepEqual(collector.problems, []);
    assert.deepEqual(logs, []);
  } finally {
    await collector.close();
  }
});

Deno.test("lazy traces: a reload that turns tracing on traces the next request", async () => {
  const collector = startCollector();
  let config = configWithTracing(undefined);
  const { traces } = exporter(() => config);
  try {
    traces.ended(upRecord(0));
    config = configWithTracing(tracingConfig(collector.url));
    traces.prepare(config);
    traces.ended(upRecord(1));
    await traces.close();
    assert.deepEqual(requestIds(collector.spans()), ["req_1"]);
  } finally {
    await collector.close();
  }
});

Deno.test("lazy traces: without tracing nothing is counted and a stop waits for nothing", async () => {
  const { traces, logs } = exporter(() => configWithTracing(undefined));
  traces.ended(upRecord(0));
  assert.deepEqual(traces.counts(), {
    exported: 0,
    dropped: { queue_full: 0, export_failed: 0, rejected: 0 },
  });
  await traces.close();
  // A request after the stop makes no spans either.
  traces.ended(upRecord(1));
  assert.deepEqual(logs, []);
});
