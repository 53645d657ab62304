/**
 * `tracing.compression` and the OTLP compression variables; and where the variables' headers go
 * when a `tracing:` block names its own collector.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { tracingLines } from "../../src/cli/check_tracing.ts";
import { configErrorOf } from "../helpers/config.ts";

const ROUTES = `providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-0123456789abcdef }
routes: { default: up/m }
`;

const load = (tracing: string, env: Record<string, string> = {}) =>
  configFromYaml({ text: ROUTES + tracing, file: "c.yaml", env });

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318" };

Deno.test("tracing compression: none by default; gzip by the variables, the signal's winning", () => {
  assert.equal(load("", ENDPOINT).tracing?.compression, "none");
  assert.equal(
    load("", { ...ENDPOINT, OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }).tracing?.compression,
    "gzip",
  );
  const both = load("", {
    ...ENDPOINT,
    OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none",
  });
  assert.equal(both.tracing?.compression, "none", "the traces' own variable wins");
  assert.deepEqual(both.warnings, []);
  const upper = load("", { ...ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: " GZIP " });
  assert.equal(upper.tracing?.compression, "gzip");
  // An unknown value: the body goes as it is, and a warning names the accepted values.
  const odd = load("", { ...ENDPOINT, OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" });
  assert.equal(odd.tracing?.compression, "none");
  assert.deepEqual(odd.warnings, [
    'OTEL_EXPORTER_OTLP_COMPRESSION: expected gzip or none, got "zstd"; sending traces uncompressed',
  ]);
});

Deno.test("tracing compression: the block's key wins; an unknown one is a config error", () => {
  const block = "tracing: { endpoint: http://mine:4318, compression: gzip }\n";
  assert.equal(load(block).tracing?.compression, "gzip");
  assert.equal(
    load("tracing: { compression: none }\n", {
      ...ENDPOINT,
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    })
      .tracing?.compression,
    "none",
  );
  assert.match(
    configErrorOf(() => load("tracing: { endpoint: http://mine:4318, compression: brotli }\n")),
    /tracing\.compression: unknown compression "brotli" \(use gzip or none\)/,
  );
});

Deno.test("tracing compression: ccp check's and the start-up's line say gzip", () => {
  const gzip = load("tracing: { endpoint: http://mine:4318, compression: gzip }\n");
  assert.match(tracingLines(gzip)[0]!, /; timeout 10000 ms; gzip \(from tracing:\)$/);
  const plain = load("tracing: { endpoint: http://mine:4318 }\n");
  assert.doesNotMatch(tracingLines(plain)[0]!, /gzip/);
});

Deno.test("tracing headers: the variables' headers go with the variables' endpoint only", () => {
  const env = {
    ...ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20claude-code-collector-key",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-traces-key=traces-key-0123456789",
  };
  // Another collector in the block: none of the variables' headers go there.
  const other = load("tracing: { endpoint: http://mine:4318, headers: { x-mine: k } }\n", env);
  assert.deepEqual(other.tracing?.headers, { "x-mine": "k" });
  const full = load("tracing: { traces_endpoint: http://mine:4318/v1/traces }\n", env);
  assert.deepEqual(full.tracing?.headers, {});
  // A block naming no endpoint traces to the variables' collector: their headers go with it.
  const noEndpoint = load("tracing: { service_name: s, headers: { x-mine: k } }\n", env);
  assert.equal(noEndpoint.tracing?.url, "http://env:4318/v1/traces");
  assert.deepEqual(noEndpoint.tracing?.headers, {
    authorization: "Bearer claude-code-collector-key",
    "x-traces-key": "traces-key-0123456789",
    "x-mine": "k",
  });
  // A block naming the variables' own collector speaks of the same one: the headers go.
  const same = load("tracing: { endpoint: http://env:4318 }\n", env);
  assert.equal(same.tracing?.headers.authorization, "Bearer claude-code-collector-key");
  const sameFull = load("tracing: { traces_endpoint: http://env:4318/v1/traces }\n", env);
  assert.equal(sameFull.tracing?.headers["x-traces-key"], "traces-key-0123456789");
  // The line says, once, which headers stay with the variables' collector: by name, never by value.
  const line = tracingLines(other)[0]!;
  assert.match(line, /; headers x-mine \(from tracing:\); not sent there, as they go to the/);
  assert.match(
    line,
    /collector: OTEL_EXPORTER_OTLP_HEADERS \(authorization\), OTEL_EXPORTER_OTLP_TRACES_HEADERS \(x-traces-key\)$/,
  );
  assert.equal(line.match(/authorization/g)?.length, 1);
  assert.doesNotMatch(line, /Bearer|collector-key|traces-key-0123456789/);
  // Where the headers go, or none are set, nothing is said.
  assert.doesNotMatch(tracingLines(same)[0]!, /not sent there/);
  const bare = load("tracing: { endpoint: http://mine:4318 }\n", ENDPOINT);
  assert.doesNotMatch(tracingLines(bare)[0]!, /not sent there/);
});

Deno.test("tracing headers: the variables' collector written differently is still the same one", () => {
  const env = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env:4318/v1/traces/",
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20claude-code-collector-key",
  };
  // A trailing slash, a default port or a host's letter case names the same collector.
  for (
    const block of [
      "tracing: { traces_endpoint: http://env:4318/v1/traces }\n",
      "tracing: { endpoint: http://ENV:4318/ }\n",
    ]
  ) {
    const same = load(block, env);
    assert.equal(same.tracing?.headers.authorization, "Bearer claude-code-collector-key", block);
  }
  const port = load("tracing: { traces_endpoint: https://env:443/v1/traces }\n", {
    ...env,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://env/v1/traces",
  });
  assert.equal(port.tracing?.headers.authorization, "Bearer claude-code-collector-key");
  // Another path on that host is another collector's: the headers stay.
  const other = load("tracing: { traces_endpoint: http://env:4318/other/v1/traces }\n", env);
  assert.deepEqual(other.tracing?.headers, {});
});
