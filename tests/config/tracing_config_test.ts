/** `tracing:` and the OTEL_* variables: which wins, what turns it off, what is refused. */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { loadConfig } from "../../src/config/load.ts";
import { configuredKeys, scrubSecrets } from "../../src/core/secrets.ts";
import { tracingLines } from "../../src/cli/check_tracing.ts";
import { configErrorOf } from "../helpers/config.ts";
import { inTempDir } from "../cli/helpers.ts";

const ROUTES = `providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-0123456789abcdef }
routes: { default: up/m }
`;

const load = (tracing: string, env: Record<string, string> = {}) =>
  configFromYaml({ text: ROUTES + tracing, file: "c.yaml", env });

Deno.test("tracing: off by default; the variables turn it on, with OpenTelemetry's defaults", () => {
  assert.equal(load("").tracing, undefined);
  const t = load("", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing!;
  assert.equal(t.url, "http://collector:4318/v1/traces", "/v1/traces after the base, one slash");
  assert.equal(t.serviceName, "ccp");
  assert.equal(t.sampleRatio, 1);
  assert.equal(t.parentBased, true, "parentbased_always_on is the default sampler");
  assert.equal(t.timeoutMs, 10_000);
  assert.equal(t.from, "environment");
  const own = load("", {
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://base:4318",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/custom/path",
    OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=x%3Dy",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "b=2",
    OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs,deployment.environment=prod",
    OTEL_TRACES_SAMPLER: "traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0.1",
    OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
  }).tracing!;
  assert.equal(own.url, "https://traces.example/custom/path", "the signal's URL is used as it is");
  assert.deepEqual(own.headers, { a: "1", b: "2" }, "the traces headers win, values decoded");
  assert.equal(own.serviceName, "from-attrs");
  assert.deepEqual(own.resource, { "deployment.environment": "prod" });
  assert.equal(own.sampleRatio, 0.1);
  assert.equal(own.parentBased, false);
  assert.equal(own.timeoutMs, 2_500);
});

Deno.test("tracing: the config block wins over the variables, key by key", () => {
  const t = load(
    `tracing:
  endpoint: http://file:4318
  headers: { x-key: from-file-0123456789 }
  service_name: file-name
  sample_ratio: 25%
  timeout: 3s
`,
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "x-key=from-env,x-other=kept",
      OTEL_SERVICE_NAME: "env-name",
      OTEL_TRACES_SAMPLER_ARG: "0.9",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    },
  ).tracing!;
  assert.equal(t.url, "http://file:4318/v1/traces");
  assert.deepEqual(
    t.headers,
    { "x-key": "from-file-0123456789" },
    "the variables' headers stay with the variables' collector",
  );
  assert.equal(t.serviceName, "file-name");
  assert.equal(t.sampleRatio, 0.25);
  assert.equal(t.parentBased, true);
  assert.equal(t.timeoutMs, 3_000);
  assert.equal(t.from, "config");
});

Deno.test("tracing: a header named in another letter case is the same header: the later source wins", () => {
  const t = load(
    `tracing:
  headers: { authorization: "Bearer from-file-0123456789" }
`,
    {
      // The block names no endpoint of its own, so the variables' headers go with theirs.
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20from-env,X-Team=env-team",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=traces-team",
    },
  ).tracing!;
  // Sent as two, they would reach the collector joined (`Bearer from-env, Bearer from-file...`).
  assert.deepEqual(t.headers, {
    authorization: "Bearer from-file-0123456789",
    "x-team": "traces-team",
  });
});

Deno.test("tracing: a header no request can carry is said, by name and never by value", () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318" };
  // Decoded from the variable, a value past Latin-1 would make fetch refuse every export.
  const wide = load("", { ...env, OTEL_EXPORTER_OTLP_HEADERS: "x-key=secret%E2%82%AC42" });
  assert.equal(wide.tracing, undefined);
  assert.ok(
    wide.warnings.some((w) =>
      /^OTEL_EXPORTER_OTLP_HEADERS: the value of x-key holds a line break or a character past Latin-1; tracing is off$/
        .test(w)
    ),
    wide.warnings.join("\n"),
  );
  const broken = load("", { ...env, OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-key=ab%0D%0Acd" });
  assert.equal(broken.tracing, undefined);
  // A name with a space (`Authorization: Bearer k=v` misread): said without the name's text.
  const named = load("", { ...env, OTEL_EXPORTER_OTLP_HEADERS: "Authorization: Bearer tok=1" });
  assert.equal(named.tracing, undefined);
  assert.ok(named.warnings.some((w) => /a header name holds a space/.test(w)));
  assert.ok(!named.warnings.join("\n").includes("tok"), named.warnings.join("\n"));
  // The block's own is refused, as its other mistakes are.
  const error = configErrorOf(() =>
    load('tracing: { endpoint: http://c:4318, headers: { x-key: "sec\\nret-0123" } }\n')
  );
  assert.match(error, /tracing\.headers: the value of x-key holds a line break/);
  assert.ok(!error.includes("ret-0123"), error);
  // Latin-1 and a tab are sent as they are.
  assert.ok(load("", { ...env, OTEL_EXPORTER_OTLP_HEADERS: "x-team=%C3%A9quipe" }).tracing);
});

Deno.test("tracing: what turns it off, and what is refused", () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318" };
  assert.equal(load("tracing: { enabled: false }\n", env).tracing, undefined);
  assert.equal(load("", { ...env, OTEL_SDK_DISABLED: "true" }).tracing, undefined);
  assert.equal(load("", { ...env, OTEL_TRACES_EXPORTER: "none" }).tracing, undefined);
  assert.ok(load("tracing: { enabled: true }\n", { ...env, OTEL_SDK_DISABLED: "true" }).tracing);
  // The switches win over a block's own endpoint too, saying so; `enabled: true` over them.
  const block = "tracing: { endpoint: http://mine:4318 }\n";
  const switches: Record<string, string>[] = [
    { OTEL_SDK_DISABLED: "true" },
    { OTEL_TRACES_EXPORTER: "none" },
    // A list of nothing but none says the same.
    { OTEL_TRACES_EXPORTER: "none,none" },
    { OTEL_TRACES_EXPORTER: " none , " },
  ];
  for (const off of switches) {
    const loaded = load(block, off);
    assert.equal(loaded.tracing, undefined, JSON.stringify(off));
    assert.ok(
      loaded.warnings.some((w) => /turns tracing off, though the tracing: block names/.test(w)),
      loaded.warnings.join("\n"),
    );
    assert.ok(load("tracing: { endpoint: http://mine:4318, enabled: true }\n", off).tracing);
  }
  assert.ok(load(block, { OTEL_TRACES_EXPORTER: "console" }).tracing);
  assert.match(
    configErrorOf(() => load("tracing: { endpoint: collector:4318 }\n")),
    /c\.yaml: tracing\.endpoint: expected an http:\/\/ or https:\/\/ URL of an OTLP collector/,
  );
  assert.match(
    configErrorOf(() => load("tracing: { enabled: true }\n")),
    /tracing\.enabled is true but no collector is named/,
  );
  assert.match(
    configErrorOf(() => load("tracing: { endpoint: http://c:4318, sample_ratio: 2 }\n")),
    /tracing\.sample_ratio: expected a fraction from 0 to 1/,
  );
  // A bad variable is other programs' setting too: a warning, and tracing stays off.
  const bad = load("", { OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" });
  assert.equal(bad.tracing, undefined);
  assert.ok(
    bad.warnings.some((w) => /OTEL_EXPORTER_OTLP_ENDPOINT: expected .*; tracing is off/.test(w)),
  );
});

Deno.test("tracing: Claude Code's own OTLP settings in the shell (gRPC, protobuf, exporters)", () => {
  const grpcPort = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" };
  // A gRPC collector cannot take OTLP/HTTP JSON: nothing goes there, and one warning says where to.
  const grpc = load("", { ...grpcPort, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
  assert.equal(grpc.tracing, undefined, "no JSON sprayed at a gRPC port");
  assert.equal(grpc.warnings.length, 1);
  assert.match(
    grpc.warnings[0]!,
    /^OTEL_EXPORTER_OTLP_PROTOCOL is grpc, and ccp sends traces only as OTLP\/HTTP JSON: tracing is off, nothing is sent to http:\/\/collector:4317\/v1\/traces; to trace ccp, .*tracing\.endpoint.*OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http\/json/,
  );
  const bare = load("", grpcPort);
  assert.equal(bare.tracing, undefined, "4317 with no protocol named is gRPC's port");
  assert.match(bare.warnings[0]!, /^port 4317 is OTLP's gRPC port/);
  // The way out the warning names: the traces' own variables, or the block.
  const own = load("", {
    ...grpcPort,
    OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces",
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
  });
  assert.equal(own.tracing?.url, "http://collector:4318/v1/traces");
  assert.deepEqual(own.warnings, []);
  const block = load("tracing: { endpoint: http://collector:4318 }\n", {
    ...grpcPort,
    OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
  });
  assert.equal(block.tracing?.url, "http://collector:4318/v1/traces");
  assert.deepEqual(block.warnings, [], "the block's endpoint is ccp's own");
  // http/protobuf: OTLP/HTTP receivers take JSON on the same URL; said once, tracing on.
  const proto = load("", {
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
  });
  assert.equal(proto.tracing?.url, "http://collector:4318/v1/traces");
  assert.equal(proto.warnings.length, 1);
  assert.match(
    proto.warnings[0]!,
    /http\/protobuf; ccp sends its traces to .* as OTLP\/HTTP JSON/,
  );
  const http4317 = load("", { ...grpcPort, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
  assert.equal(http4317.tracing?.url, "http://collector:4317/v1/traces", "a protocol named wins");
  // OTEL_TRACES_EXPORTER: unset is otlp; otlp (in a list too) on; none off; others off, said.
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
  for (const value of [undefined, "otlp", " OTLP ", "console,otlp"]) {
    const c = load("", value === undefined ? env : { ...env, OTEL_TRACES_EXPORTER: value });
    assert.ok(c.tracing, `OTEL_TRACES_EXPORTER=${value}`);
    assert.deepEqual(c.warnings, []);
  }
  for (const value of ["none", "none,none"]) {
    const none = load("", { ...env, OTEL_TRACES_EXPORTER: value });
    assert.equal(none.tracing, undefined, value);
    assert.deepEqual(none.warnings, [], value);
  }
  // Beside other exporters none is ignored, as OpenTelemetry's SDKs ignore it; ccp says so.
  for (const value of ["otlp,none", "none,otlp"]) {
    const mixed = load("", { ...env, OTEL_TRACES_EXPORTER: value });
    assert.ok(mixed.tracing, value);
    assert.deepEqual(mixed.warnings, [
      `OTEL_TRACES_EXPORTER is ${value}: none beside other exporters is ignored, and ccp traces ` +
      "by otlp (OTEL_TRACES_EXPORTER=none alone turns it off)",
    ]);
  }
  // Without otlp, the others alone decide: off, and said.
  const consoleNone = load("", { ...env, OTEL_TRACES_EXPORTER: "console,none" });
  assert.equal(consoleNone.tracing, undefined);
  assert.match(consoleNone.warnings[0] ?? "", /is console,none: ccp exports traces only by otlp/);
  const consoleOnly = load("", { ...env, OTEL_TRACES_EXPORTER: "console" });
  assert.equal(consoleOnly.tracing, undefined);
  assert.match(
    consoleOnly.warnings[0]!,
    /OTEL_TRACES_EXPORTER is console: ccp exports traces only by otlp; tracing is off/,
  );
  assert.deepEqual(
    load("", { OTEL_TRACES_EXPORTER: "console" }).warnings,
    [],
    "no collector, nothing to say",
  );
});

Deno.test("tracing: without a config file, the variables alone turn it on", async () => {
  await inTempDir("ccp_tracing_env_", async (dir) => {
    const config = await loadConfig({
      flags: {},
      env: {
        XDG_CONFIG_HOME: `${dir}/xdg`,
        MODEL: "anthropic/claude-sonnet-4-5",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      },
      cwd: dir,
      home: dir,
    });
    assert.equal(config.source.kind, "env");
    assert.equal(config.tracing?.url, "http://127.0.0.1:4318/v1/traces");
  });
});

Deno.test("tracing: the collector's key is scrubbed from text like a provider's", () => {
  const config = load("", {
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer collector-secret-0123456789",
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318",
  });
  const said = scrubSecrets("upstream echoed collector-secret-0123456789", configuredKeys(config));
  assert.ok(!said.includes("collector-secret-0123456789"), said);
});

Deno.test("tracing: OTEL_BSP_* set the queue, the batch, the delay and the export's bound", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
  assert.deepEqual(load("", base).tracing!.batch, {}, "none set: the exporter's defaults stand");
  const set = load("", {
    ...base,
    OTEL_BSP_MAX_QUEUE_SIZE: "100",
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "10",
    OTEL_BSP_SCHEDULE_DELAY: "250",
    OTEL_BSP_EXPORT_TIMEOUT: "0",
  });
  assert.deepEqual(set.tracing!.batch, {
    maxQueue: 100,
    maxBatch: 10,
    delayMs: 250,
    exportTimeoutMs: 0,
  });
  assert.deepEqual(set.warnings, []);
  // A batch can be no larger than the queue: a smaller queue cuts the default batch silently,
  // a batch set above it with a warning.
  assert.deepEqual(load("", { ...base, OTEL_BSP_MAX_QUEUE_SIZE: "64" }).tracing!.batch, {
    maxQueue: 64,
    maxBatch: 64,
  });
  const above = load("", { ...base, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4096" });
  assert.equal(above.tracing!.batch.maxBatch, 2048);
  assert.match(above.warnings.join("\n"), /OTEL_BSP_MAX_EXPORT_BATCH_SIZE .*using 2048/);
  // A value that is not one keeps its default and says so; tracing stays on.
  const bad = load("", {
    ...base,
    OTEL_BSP_MAX_QUEUE_SIZE: "0",
    OTEL_BSP_SCHEDULE_DELAY: "5s",
    OTEL_BSP_EXPORT_TIMEOUT: "-1",
  });
  assert.deepEqual(bad.tracing!.batch, {});
  const said = bad.warnings.join("\n");
  assert.match(
    said,
    /OTEL_BSP_MAX_QUEUE_SIZE: expected a whole number above 0, got "0"; using 2048/,
  );
  assert.match(said, /OTEL_BSP_SCHEDULE_DELAY: .*"5s"; using 5000/);
  assert.match(said, /OTEL_BSP_EXPORT_TIMEOUT: .*"-1"; using 30000/);
});

Deno.test("tracing: an endpoint holding a query gets /v1/traces before it, and is shown without it", () => {
  const block = load("tracing: { endpoint: 'http://collector:4318/otlp/?k=tok-0123' }\n");
  assert.equal(block.tracing?.url, "http://collector:4318/otlp/v1/traces?k=tok-0123");
  const env = load("", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318?k=tok-0123" });
  assert.equal(env.tracing?.url, "http://collector:4318/v1/traces?k=tok-0123");
  // The line `ccp check` and the start-up log print names the collector, not its query.
  const [line = ""] = tracingLines(env);
  assert.match(line, /to http:\/\/collector:4318\/v1\/traces as service/);
  assert.ok(!line.includes("tok-0123"), line);
});
