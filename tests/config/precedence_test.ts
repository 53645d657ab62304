import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { configFromSources } from "../helpers/config.ts";

const FILE = `
server:
  host: 10.0.0.1
  port: 7000
  auth_token: file-token
  log_level: warn
routes:
  default: ollama/m
`;
const yaml = { text: FILE, file: "config.yaml" };
const CCP = {
  CCP_HOST: "10.0.0.2",
  CCP_PORT: "7001",
  CCP_AUTH_TOKEN: "env-token",
  CCP_LOG_LEVEL: "error",
};
const FLAGS = { host: "10.0.0.3", port: 7002, authToken: "flag-token", logLevel: "debug" };

Deno.test("server settings: flags > CCP_* > file > defaults", async (t) => {
  await t.step("defaults", () => {
    const s = configFromSources({
      flags: {},
      env: {},
      yaml: { text: "routes: {default: ollama/m}", file: "c.yaml" },
    }).server;
    assert.deepEqual(s, {
      host: "127.0.0.1",
      port: 8082,
      maxBodyBytes: 33_554_432,
      clientTimeouts: { headersMs: 10_000, bodyMs: 60_000, idleMs: 75_000 },
      maxConnections: 1024,
      connectionGuard: true,
      maxResponseBytes: 32 * 1024 * 1024,
      logLevel: "info",
      logFormat: "text",
    });
  });
  await t.step("file over defaults", () => {
    const s = configFromSources({ flags: {}, env: {}, yaml }).server;
    assert.deepEqual([s.host, s.port, s.authToken, s.logLevel], [
      "10.0.0.1",
      7000,
      "file-token",
      "warn",
    ]);
  });
  await t.step("CCP_* over file", () => {
    const s = configFromSources({ flags: {}, env: CCP, yaml }).server;
    assert.deepEqual([s.host, s.port, s.authToken, s.logLevel], [
      "10.0.0.2",
      7001,
      "env-token",
      "error",
    ]);
  });
  await t.step("flags over CCP_*", () => {
    const s = configFromSources({ flags: FLAGS, env: CCP, yaml }).server;
    assert.deepEqual([s.host, s.port, s.authToken, s.logLevel], [
      "10.0.0.3",
      7002,
      "flag-token",
      "debug",
    ]);
  });
  await t.step("blank CCP_* values count as unset", () => {
    const s = configFromSources({ flags: {}, env: { CCP_HOST: "", CCP_PORT: " " }, yaml }).server;
    assert.deepEqual([s.host, s.port], ["10.0.0.1", 7000]);
  });
});

Deno.test("YAML mode ignores free-claude-code's HOST, PORT and ANTHROPIC_AUTH_TOKEN", () => {
  const s = configFromSources({
    flags: {},
    env: { HOST: "0.0.0.0", PORT: "1234", ANTHROPIC_AUTH_TOKEN: "fcc" },
    yaml: { text: "routes: {default: ollama/m}", file: "c.yaml" },
  }).server;
  assert.deepEqual([s.host, s.port, s.authToken], ["127.0.0.1", 8082, undefined]);
});

Deno.test("YAML mode names a MODEL* variable it does not read", () => {
  const env = { MODEL: "ollama/m", MODEL_HAIKU: "ollama/h", NVIDIA_NIM_API_KEY: "k" };
  const warnings = (text: string) =>
    configFromSources({ flags: {}, env, yaml: { text, file: "c.yaml" } }).warnings.join("\n");
  const text = warnings("routes: {default: ollama/m}");
  assert.match(text, /MODEL, MODEL_HAIKU: set but not read: c\.yaml is in use/);
  assert.match(text, /\$\{MODEL\}/);
  // Referenced through ${VAR}, a variable is read: nothing to say about it.
  assert.doesNotMatch(
    warnings('routes: {default: "${MODEL}", haiku: "${MODEL_HAIKU}"}'),
    /not read/,
  );
  // ${MODEL_HAIKU} reads MODEL_HAIKU, not MODEL.
  assert.match(
    warnings('routes: {default: ollama/m, haiku: "${MODEL_HAIKU}"}'),
    /MODEL: set but not read/,
  );
  assert.doesNotMatch(warnings('routes: {default: "${MODEL:-ollama/m}"}'), /MODEL,/);
  const fallbacks = configFromSources({
    flags: {},
    env: { MODEL_FALLBACKS: "ollama/f" },
    yaml: { text: "routes: {default: ollama/m}", file: "c.yaml" },
  }).warnings.join("\n");
  assert.match(fallbacks, /MODEL_FALLBACKS: set but not read: c\.yaml is in use/);
});

Deno.test("environment-only mode honours HOST/PORT/ANTHROPIC_AUTH_TOKEN below CCP_*", async (t) => {
  const fcc = {
    MODEL: "ollama/llama3",
    HOST: "0.0.0.0",
    PORT: "9999",
    ANTHROPIC_AUTH_TOKEN: "freecc",
  };
  await t.step("alone", () => {
    const s = configFromSources({ flags: {}, env: fcc }).server;
    assert.deepEqual([s.host, s.port, s.authToken], ["0.0.0.0", 9999, "freecc"]);
  });
  await t.step("below CCP_*", () => {
    const s = configFromSources({ flags: {}, env: { ...fcc, ...CCP } }).server;
    assert.deepEqual([s.host, s.port, s.authToken], ["10.0.0.2", 7001, "env-token"]);
  });
  await t.step("below flags", () => {
    const s = configFromSources({ flags: FLAGS, env: fcc }).server;
    assert.deepEqual([s.host, s.port, s.authToken], ["10.0.0.3", 7002, "flag-token"]);
  });
});

Deno.test("environment-only mode: PROXY_AUTH_ENABLED=false turns ANTHROPIC_AUTH_TOKEN off", async (t) => {
  // free-claude-code's .env ships ANTHROPIC_AUTH_TOKEN="freecc" with PROXY_AUTH_ENABLED=false:
  // that proxy then checks no token.
  const fcc = { MODEL: "ollama/llama3", ANTHROPIC_AUTH_TOKEN: "freecc" };
  for (const off of ["false", "False", "0", "no", "off"]) {
    await t.step(off, () => {
      const s = configFromSources({ flags: {}, env: { ...fcc, PROXY_AUTH_ENABLED: off } }).server;
      assert.equal(s.authToken, undefined);
    });
  }
  await t.step("true keeps it", () => {
    const s = configFromSources({ flags: {}, env: { ...fcc, PROXY_AUTH_ENABLED: "true" } }).server;
    assert.equal(s.authToken, "freecc");
  });
  await t.step("with a HOST beyond this machine, the refusal names both variables", () => {
    const env = { ...fcc, PROXY_AUTH_ENABLED: "false", HOST: "0.0.0.0" };
    assert.throws(
      () => configFromSources({ flags: {}, env }),
      (err: Error) =>
        err instanceof ConfigError && /PROXY_AUTH_ENABLED=false/.test(err.message) &&
        /host 0\.0\.0\.0/.test(err.message) && /ANTHROPIC_AUTH_TOKEN/.test(err.message),
    );
  });
  await t.step("CCP_AUTH_TOKEN still applies", () => {
    const env = { ...fcc, PROXY_AUTH_ENABLED: "false", CCP_AUTH_TOKEN: "mine" };
    assert.equal(configFromSources({ flags: {}, env }).server.authToken, "mine");
  });
});

Deno.test("bad flag and CCP_* values name their source", () => {
  assert.throws(
    () => configFromSources({ flags: {}, env: { CCP_PORT: "80a" }, yaml }),
    (err: Error) =>
      err instanceof ConfigError &&
      err.message === 'CCP_PORT: expected a port number (0-65535), got "80a"',
  );
  assert.throws(
    () => configFromSources({ flags: { port: 70000 }, env: {}, yaml }),
    { message: "--port: expected a port number (0-65535), got 70000" },
  );
  assert.throws(
    () => configFromSources({ flags: { logLevel: "loud" }, env: {}, yaml }),
    { message: '--log-level: unknown log level "loud" (use debug, info, warn or error)' },
  );
  assert.throws(
    () => configFromSources({ flags: {}, env: { CCP_LOG_LEVEL: "trace" }, yaml }),
    { message: /^CCP_LOG_LEVEL: unknown log level "trace"/ },
  );
  assert.throws(
    () => configFromSources({ flags: {}, env: { MODEL: "ollama/x", PORT: "http" } }),
    { message: /^PORT: expected a port number/ },
  );
});

Deno.test("log levels are case-insensitive", () => {
  assert.equal(
    configFromSources({ flags: { logLevel: "DEBUG" }, env: {}, yaml }).server.logLevel,
    "debug",
  );
});

Deno.test("a NaN --port from a bad command line is reported readably", () => {
  assert.throws(() => configFromSources({ flags: { port: Number.NaN }, env: {}, yaml }), {
    message: "--port: expected a port number (0-65535), got NaN",
  });
});

Deno.test("YAML mode names a preset's base-URL variable its entry does not read", () => {
  // The walk: MODEL=nvidia_nim/... with NVIDIA_NIM_BASE_URL, then `ccp init`, whose entry has no
  // base_url: the variable no longer moves the address, and nothing said so.
  const env = { NVIDIA_NIM_API_KEY: "nvapi-0000000000000000", NVIDIA_NIM_BASE_URL: "http://gw/v1" };
  const warnings = (text: string) =>
    configFromSources({ flags: {}, env, yaml: { text, file: "c.yaml" } }).warnings.join("\n");
  const entry = 'api_key: "${NVIDIA_NIM_API_KEY}"';
  assert.match(
    warnings(`providers: {nim: {preset: nvidia_nim, ${entry}}}\nroutes: {default: nim/m}`),
    /c\.yaml: providers\.nim: NVIDIA_NIM_BASE_URL is set but not read, so it goes to the nvidia_nim preset's https:\/\/integrate\.api\.nvidia\.com\/v1: .*\(base_url: \$\{NVIDIA_NIM_BASE_URL\} under it\)/,
  );
  // Read through ${VAR}, or an address written in the file: nothing to say.
  for (
    const base of [
      'base_url: "${NVIDIA_NIM_BASE_URL}"',
      'base_url: "${NVIDIA_NIM_BASE_URL:-https://integrate.api.nvidia.com/v1}"',
      "base_url: http://other/v1",
    ]
  ) {
    assert.doesNotMatch(
      warnings(
        `providers: {nim: {preset: nvidia_nim, ${entry}, ${base}}}\nroutes: {default: nim/m}`,
      ),
      /NVIDIA_NIM_BASE_URL is set/,
    );
  }
});
