/**
 * Exports gzip-compressed (`Content-Encoding: gzip`) when the settings say so, a mock collector
 * that refuses a body whose header lies, and a key set in the OTLP variables for another
 * collector never reaching the one a `tracing:` block names.
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { createLogger } from "../../src/core/log.ts";
import { TraceExport } from "../../src/observe/tracing/exporter.ts";
import { upRecord } from "../helpers/tracing.ts";
import { startCollector } from "../mocks/otlp_collector.ts";

const ROUTES = `providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-0123456789abcdef }
routes: { default: up/m }
`;

/** Ends `count` requests through an exporter on `config` and stops it (which sends them). */
async function exported(config: Config, count: number): Promise<void> {
  const traces = new TraceExport({
    config: () => config,
    log: createLogger({ level: "error", write: () => {}, colour: false }),
    limits: { delayMs: 60_000, closeMs: 3_000, tries: 1 },
  });
  for (let i = 0; i < count; i++) traces.ended(upRecord(i));
  await traces.close();
}

Deno.test("tracing gzip: the body goes gzip-compressed with Content-Encoding: gzip", async () => {
  const collector = startCollector();
  try {
    const gzip = configFromYaml({
      text: ROUTES + `tracing: { endpoint: "${collector.url}", compression: gzip }\n`,
      file: "c.yaml",
      env: {},
    });
    await exported(gzip, 20);
    assert.deepEqual(collector.problems, []);
    assert.equal(collector.spans().length, 40, "the collector gunzipped and read every span");
    const [sent] = collector.exports;
    assert.equal(sent!.headers.get("content-encoding"), "gzip");
    assert.equal(sent!.headers.get("content-type"), "application/json");
    assert.ok(sent!.size * 3 < sent!.text.length, `${sent!.size} bytes for ${sent!.text.length}`);
    // The default: the JSON as it is, no encoding named.
    const plain = configFromYaml({
      text: ROUTES + `tracing: { endpoint: "${collector.url}" }\n`,
      file: "c.yaml",
      env: {},
    });
    await exported(plain, 1);
    const last = collector.exports.at(-1)!;
    assert.equal(last.headers.get("content-encoding"), null);
    assert.equal(last.size, last.text.length);
  } finally {
    await collector.close();
  }
});

Deno.test("tracing gzip: the mock collector refuses a body whose header lies", async () => {
  const collector = startCollector();
  try {
    const json = JSON.stringify({ resourceSpans: [] });
    const gzip = new Uint8Array(
      await new Response(
        new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const post = async (body: BodyInit, headers: Record<string, string>) => {
      const response = await fetch(`${collector.url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await post(json, { "content-encoding": "gzip" }), 400);
    assert.equal(await post(gzip, {}), 400);
    assert.equal(await post(gzip, { "content-encoding": "gzip" }), 200);
    assert.deepEqual(collector.problems, [
      "content-encoding gzip, but the body is not gzip",
      "a gzip body without content-encoding: gzip",
    ]);
  } finally {
    await collector.close();
  }
});

Deno.test("tracing headers: a variable's key never reaches the block's collector", async () => {
  const mine = startCollector();
  const claudeCodes = startCollector();
  const key = "claude-code-collector-key-0123456789";
  try {
    const config = configFromYaml({
      text: ROUTES + `tracing:\n  endpoint: "${mine.url}"\n  headers: { x-mine: mine-key-0123 }\n`,
      file: "c.yaml",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: claudeCodes.url,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${key}`,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: `x-traces-key=${key}`,
      },
    });
    await exported(config, 2);
    assert.equal(mine.exports.length, 1);
    const [sent] = mine.exports;
    assert.equal(sent!.headers.get("x-mine"), "mine-key-0123");
    for (const [name, value] of sent!.headers) {
      assert.ok(!value.includes(key), `${name} carries the variables' key`);
    }
    assert.ok(!sent!.text.includes(key));
    assert.equal(claudeCodes.requests, 0, "the block's collector is the only one");
  } finally {
    await mine.close();
    await claudeCodes.close();
  }
});

Deno.test("tracing gzip: a collector answering 415 to gzip is named, with the setting to change", async () => {
  const bodies: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    bodies.push(req.headers.get("content-encoding") ?? "");
    return new Response("unsupported content encoding", { status: 415 });
  });
  const lines: string[] = [];
  const send = async (compression: string) => {
    const config = configFromYaml({
      text: ROUTES + `tracing: { endpoint: "http://127.0.0.1:${server.addr.port}", ` +
        `compression: ${compression} }\n`,
      file: "c.yaml",
      env: {},
    });
    const traces = new TraceExport({
      config: () => config,
      log: createLogger({ level: "warn", write: (line) => lines.push(line), colour: false }),
      limits: { delayMs: 60_000, closeMs: 3_000, tries: 1 },
    });
    traces.ended(upRecord(1));
    await traces.close();
  };
  try {
    await send("gzip");
    assert.deepEqual(bodies, ["gzip"], "a 415 is not tried again");
    assert.match(
      lines.join("\n"),
      /HTTP 415: unsupported content encoding \(the collector may not take gzip: set tracing\.compression: none\)/,
    );
    // Without gzip a 415 is the collector's own affair: no advice about compression.
    lines.length = 0;
    await send("none");
    assert.match(lines.join("\n"), /HTTP 415/);
    assert.doesNotMatch(lines.join("\n"), /gzip/);
  } finally {
    await server.shutdown();
  }
});
