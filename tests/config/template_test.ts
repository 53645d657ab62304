import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { parseDotenv } from "../../src/config/env/dotenv.ts";
import { CONFIG_YAML_TEMPLATE, DOTENV_TEMPLATE } from "../../src/config/template.ts";
import { PRESET_IDS } from "../../src/providers/catalog.ts";
import { RouteRefused } from "../../src/routing/resolve.ts";
import { resolveModel } from "../helpers/resolve.ts";

Deno.test("the config.yaml template loads as written, routing to local Ollama", () => {
  const config = configFromYaml({ text: CONFIG_YAML_TEMPLATE, file: "config.yaml", env: {} });
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "qwen3-coder" }]);
  assert.equal(config.providers.ollama?.baseUrl, "http://127.0.0.1:11434");
  assert.equal(config.server.port, 8082);
  assert.equal(config.server.authToken, undefined);
  assert.deepEqual(config.warnings, []);
});

Deno.test("the template's providers, uncommented, read the keys the .env template names", async () => {
  // The nim and openrouter blocks, uncommented as an editor's toggle does ("# " removed).
  const start = CONFIG_YAML_TEMPLATE.indexOf("  # nim:");
  const end = CONFIG_YAML_TEMPLATE.indexOf("\n\n", start);
  const block = CONFIG_YAML_TEMPLATE.slice(start, end).replace(/^ {2}# /gm, "  ");
  const text = (CONFIG_YAML_TEMPLATE.slice(0, start) + block + CONFIG_YAML_TEMPLATE.slice(end))
    .replace("default: ollama/qwen3-coder", "default: openrouter/qwen/qwen3-coder");
  const dotenv = DOTENV_TEMPLATE.replace(
    /^# (NVIDIA_NIM|OPENROUTER)_API_KEY=$/gm,
    "$1_API_KEY=k-1",
  );
  const env = await parseDotenv(dotenv);
  const config = configFromYaml({ text, file: "config.yaml", env });
  assert.deepEqual(config.providers.openrouter?.apiKeys, ["k-1"]);
  assert.deepEqual(config.providers.nim?.apiKeys, ["k-1"]);
  assert.deepEqual(config.warnings, []);
});

Deno.test("the template honours OLLAMA_BASE_URL and CCP_AUTH_TOKEN through ${VAR}", () => {
  const config = configFromYaml({
    text: CONFIG_YAML_TEMPLATE,
    file: "config.yaml",
    env: { OLLAMA_BASE_URL: "http://gpu:11434", CCP_AUTH_TOKEN: "t0ken" },
  });
  assert.equal(config.providers.ollama?.baseUrl, "http://gpu:11434");
  assert.equal(config.server.authToken, "t0ken");
});

Deno.test("the template says what its routing does with a local preset it does not list", () => {
  // A client's "vllm/my-model" is refused while no route names vllm: the template must not
  // promise that local presets are always reachable by name.
  const config = configFromYaml({ text: CONFIG_YAML_TEMPLATE, file: "config.yaml", env: {} });
  assert.throws(() => resolveModel({ model: "vllm/my-model" }, config), RouteRefused);
  assert.ok(!/always usable by name/.test(CONFIG_YAML_TEMPLATE));
  assert.match(CONFIG_YAML_TEMPLATE, /A route or alias may name lmstudio, llamacpp, ollama, vllm/);
  assert.match(
    CONFIG_YAML_TEMPLATE,
    /reaches only the\n# providers listed here or named by a route/,
  );
  // And a route may name one with no entry under providers.
  const routed = configFromYaml({
    text: CONFIG_YAML_TEMPLATE.replace("default: ollama/qwen3-coder", "default: vllm/my-model"),
    file: "config.yaml",
    env: {},
  });
  assert.equal(resolveModel({ model: "vllm/other" }, routed).chain[0]?.provider, "vllm");
});

Deno.test("the template names every tier and wire protocol", () => {
  assert.match(CONFIG_YAML_TEMPLATE, /containing opus, haiku, sonnet or fable/);
  assert.match(
    CONFIG_YAML_TEMPLATE,
    /openai \(Chat Completions\) \| openai_responses \| anthropic/,
  );
});

Deno.test("the template mentions every config key and every preset", () => {
  const keys = [
    "server:",
    "host:",
    "port:",
    "auth_token:",
    "log_level:",
    "max_body_size:",
    "providers:",
    "preset:",
    "type:",
    "base_url:",
    "api_key:",
    "api_keys:",
    "auth_header:",
    "auth:",
    "headers:",
    "proxy:",
    "models:",
    "timeouts:",
    "max_retries:",
    "rate_limit:",
    "max_concurrency:",
    "fallback_on:",
    "key_usage_limit:",
    "count_tokens:",
    "model_settings:",
    "provider_defaults:",
    "routes:",
    "aliases:",
  ];
  for (const key of keys) assert.ok(CONFIG_YAML_TEMPLATE.includes(key), `missing ${key}`);
  for (const id of PRESET_IDS) {
    assert.ok(CONFIG_YAML_TEMPLATE.includes(` ${id} `), `missing preset ${id}`);
  }
});

Deno.test("uncommenting the full example provider still loads", () => {
  const uncommented = CONFIG_YAML_TEMPLATE.replace(
    / {2}# local:\n((?: {2}# {3}.*\n)+)/,
    (_all, body: string) => `  local:\n${body.replaceAll("  #   ", "    ")}`,
  );
  assert.notEqual(uncommented, CONFIG_YAML_TEMPLATE);
  const config = configFromYaml({ text: uncommented, file: "config.yaml", env: {} });
  const local = config.providers.local;
  assert.equal(local?.type, "openai");
  assert.deepEqual(local?.rateLimit, { requests: 40, windowMs: 60_000 });
  assert.equal(local?.maxConcurrency, 5);
  assert.deepEqual(local?.apiKeys, ["none"]);
  assert.equal(local?.modelSettings?.["*"]?.maxOutputTokens, 32_000);
  assert.equal(local?.modelSettings?.["qwen3-coder"]?.reasoningEffort, "high");
});

Deno.test("the .env template parses and sets nothing by default", async () => {
  assert.deepEqual(await parseDotenv(DOTENV_TEMPLATE), {});
  assert.match(DOTENV_TEMPLATE, /# NVIDIA_NIM_API_KEY=/);
  assert.match(DOTENV_TEMPLATE, /# MODEL=/);
});

Deno.test("the template's tracing block, uncommented, turns tracing on with its variable", () => {
  const start = CONFIG_YAML_TEMPLATE.indexOf("# tracing:");
  assert.ok(start > 0);
  const block = CONFIG_YAML_TEMPLATE.slice(start).replace(/^# /gm, "");
  const config = configFromYaml({
    text: CONFIG_YAML_TEMPLATE.slice(0, start) + block,
    file: "config.yaml",
    env: { HONEYCOMB_API_KEY: "hc-0123456789" },
  });
  assert.equal(config.tracing?.url, "http://127.0.0.1:4318/v1/traces");
  assert.deepEqual(config.tracing?.headers, { "x-honeycomb-team": "hc-0123456789" });
  assert.equal(config.tracing?.sampleRatio, 1);
  assert.equal(config.tracing?.timeoutMs, 10_000);
  assert.deepEqual(config.warnings, []);
});
