/**
 * `retry_delay`: the wait before a retry of one target (exponential from `base`, never above
 * `max`), per provider or in `provider_defaults`, and where peers' settings for it are read:
 * free-claude-code's PROVIDER_RETRY_BASE_DELAY / PROVIDER_RETRY_MAX_DELAY and CLIProxyAPI's
 * `max-retry-interval`.
 */

import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../src/core/errors.ts";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { convertCliProxyApi } from "../../src/config/cliproxyapi/convert.ts";
import { renderConfigYaml } from "../../src/config/ccr/render.ts";

function load(text: string) {
  return configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env: {} });
}

Deno.test("retry_delay: durations per provider and in provider_defaults; absent keeps 1 s → 30 s", () => {
  const config = load(`
providers:
  a: { type: openai, base_url: "http://127.0.0.1:1/v1", retry_delay: { max: 500ms } }
  b: { type: openai, base_url: "http://127.0.0.1:2/v1" }
provider_defaults:
  retry_delay: { base: 2s, max: 2m }
routes: { default: a/m }
`);
  assert.deepEqual(config.providers.a?.retryDelay, { baseMs: 2000, maxMs: 500 });
  assert.deepEqual(config.providers.b?.retryDelay, { baseMs: 2000, maxMs: 120_000 });
  const plain = load(`
providers:
  a: { type: openai, base_url: "http://127.0.0.1:1/v1", retry_delay: { base: 250 } }
  b: { type: openai, base_url: "http://127.0.0.1:2/v1" }
routes: { default: a/m }
`);
  // A bare number is seconds, as for every other duration.
  assert.deepEqual(plain.providers.a?.retryDelay, { baseMs: 250_000 });
  assert.equal(plain.providers.b?.retryDelay, undefined, "today's defaults");
  assert.throws(
    () =>
      load(`
providers:
  a: { type: openai, base_url: "http://127.0.0.1:1/v1", retry_delay: { base: soon } }
routes: { default: a/m }
`),
    (err: Error) => err instanceof ConfigError && /retry_delay\.base/.test(err.message),
  );
});

Deno.test("free-claude-code's PROVIDER_RETRY_BASE_DELAY and _MAX_DELAY are read, in seconds", () => {
  const config = configFromEnv({
    env: {
      MODEL: "ollama/m",
      PROVIDER_RETRY_BASE_DELAY: "2.0",
      PROVIDER_RETRY_MAX_DELAY: "120",
    },
  });
  assert.deepEqual(config.providers.ollama?.retryDelay, { baseMs: 2000, maxMs: 120_000 });
  assert.doesNotMatch(config.warnings.join("\n"), /PROVIDER_RETRY/);
  assert.throws(
    () => configFromEnv({ env: { MODEL: "ollama/m", PROVIDER_RETRY_MAX_DELAY: "later" } }),
    (err: Error) => err instanceof ConfigError && /PROVIDER_RETRY_MAX_DELAY/.test(err.message),
  );
});

Deno.test("CLIProxyAPI's max-retry-interval becomes provider_defaults.retry_delay.max", () => {
  const draft = convertCliProxyApi(parseYaml(`
request-retry: 2
max-retry-interval: 10
claude-api-key:
  - api-key: sk-ant-first-0123456789
`));
  assert.ok(!draft.notCarried.some((note) => note.startsWith("max-retry-interval")));
  const config = configFromYaml({
    file: "c.yaml",
    env: Object.fromEntries(draft.secrets.map((s) => [s.name, s.value])),
    text: renderConfigYaml(draft, "config.yaml"),
  });
  assert.equal(config.providers.anthropic?.maxRetries, 2);
  assert.deepEqual(config.providers.anthropic?.retryDelay, { maxMs: 10_000 });
});
