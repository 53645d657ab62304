import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { missingKeyAdvice } from "../../src/config/from_tree.ts";
import type { Config } from "../../src/config/types.ts";

function load(text: string, env: Record<string, string> = {}): Config {
  return configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env });
}

const EXAMPLE = `
server:
  host: 127.0.0.1
  port: 8082
  auth_token: \${CCP_AUTH_TOKEN}
providers:
  nim:
    preset: nvidia_nim
    api_keys: [k1, k2]
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
    api_key: test
    headers: { X-Extra: "1" }
    proxy: http://proxy:3128
    models: [qwen3-coder]
    timeouts: { connect: 10s, first_byte: 600s, idle: 120s, total: 0 }
    max_retries: 3
provider_defaults:
  timeouts: { idle: 60s }
routes:
  default: nim/z-ai/glm4.7
  opus: nim/moonshotai/kimi-k2.5
  sonnet: [local/qwen3-coder, nim/z-ai/glm4.7]
  haiku: local/qwen3-coder
aliases:
  my-fast: local/qwen3-coder
`;

Deno.test("the documented example config loads as documented", async (t) => {
  const config = load(EXAMPLE, { CCP_AUTH_TOKEN: "secret" });
  await t.step("source and server", () => {
    assert.deepEqual(config.source, { kind: "file", path: "/abs/config.yaml" });
    assert.deepEqual(config.server, {
      host: "127.0.0.1",
      port: 8082,
      authToken: "secret",
      maxBodyBytes: 32 * 1024 * 1024,
      clientTimeouts: { headersMs: 10_000, bodyMs: 60_000, idleMs: 75_000 },
      maxConnections: 1024,
      connectionGuard: true,
      maxResponseBytes: 32 * 1024 * 1024,
      logLevel: "info",
      logFormat: "text",
    });
  });
  await t.step("a preset fills type, base URL and auth; provider_defaults apply below", () => {
    const nim = config.providers.nim;
    assert.ok(nim);
    assert.equal(nim.preset, "nvidia_nim");
    assert.equal(nim.type, "openai");
    assert.equal(nim.baseUrl, "https://integrate.api.nvidia.com/v1");
    assert.deepEqual(nim.apiKeys, ["k1", "k2"]);
    assert.equal(nim.authHeader, "bearer");
    assert.deepEqual(nim.timeouts, {
      connectMs: 10_000,
      firstByteMs: 600_000,
      idleMs: 60_000,
      totalMs: 0,
    });
    assert.equal(nim.maxRetries, 3);
    assert.deepEqual(nim.fallbackOn, [429, 500, 502, 503, 504, 529]);
    assert.equal(nim.keyUsageLimit, 0);
    assert.equal(nim.implicit, false);
  });
  await t.step("a provider's own keys win over provider_defaults", () => {
    const local = config.providers.local;
    assert.ok(local);
    assert.equal(local.preset, undefined);
    assert.deepEqual(local.headers, { "X-Extra": "1" });
    assert.equal(local.proxy, "http://proxy:3128");
    assert.deepEqual(local.models, ["qwen3-coder"]);
    assert.equal(local.timeouts.idleMs, 120_000);
    assert.deepEqual(local.apiKeys, ["test"]);
  });
  await t.step("routes and aliases are chains of targets split at the first /", () => {
    assert.deepEqual(config.routes.default, [{ provider: "nim", model: "z-ai/glm4.7" }]);
    assert.deepEqual(config.routes.sonnet, [
      { provider: "local", model: "qwen3-coder" },
      { provider: "nim", model: "z-ai/glm4.7" },
    ]);
    assert.deepEqual(config.aliases["my-fast"], [{ provider: "local", model: "qwen3-coder" }]);
  });
  await t.step("only the providers the file defines exist (no local preset it never names)", () => {
    assert.deepEqual(Object.keys(config.providers), ["nim", "local"]);
  });
  await t.step("no warnings", () => assert.deepEqual(config.warnings, []));
});

Deno.test("keys beside preset: override the preset", () => {
  const config = load(`
providers:
  claude:
    preset: anthropic
    base_url: https://gateway.example/anthropic/
    auth_header: bearer
    count_tokens: false
    api_key: sk
routes:
  default: claude/claude-sonnet-4
`);
  const claude = config.providers.claude;
  assert.equal(claude?.baseUrl, "https://gateway.example/anthropic", "trailing slash dropped");
  assert.equal(claude?.authHeader, "bearer");
  assert.equal(claude?.countTokens, false);
  assert.equal(
    load("providers:\n  a: {preset: anthropic, api_key: k}\nroutes: {default: a/m}\n")
      .providers.a?.countTokens,
    true,
  );
});

Deno.test("keys: ${VAR} lists are split, api_key comes first, duplicates and blanks dropped", () => {
  const config = load(
    `
providers:
  nim:
    preset: nvidia_nim
    api_key: \${ONE}
    api_keys: \${MANY}
routes:
  default: nim/m
`,
    { ONE: "k0", MANY: "k1, k2 k0\nk3," },
  );
  assert.deepEqual(config.providers.nim?.apiKeys, ["k0", "k1", "k2", "k3"]);
});

Deno.test("YAML mode reads key variables only through ${VAR}, and says which one to use", () => {
  const config = load("providers:\n  nim:\n    preset: nvidia_nim\nroutes:\n  default: nim/m\n", {
    NVIDIA_NIM_API_KEY: "would-be-ignored",
  });
  assert.deepEqual(config.providers.nim?.apiKeys, []);
  assert.equal(config.warnings.length, 1);
  assert.match(
    config.warnings[0] ?? "",
    /^config\.yaml: providers\.nim: no API key; add api_key: \$\{NVIDIA_NIM_API_KEY\}/,
  );
});

Deno.test("an unset ${VAR} is a warning naming the key and variable", () => {
  const config = load(
    "providers:\n  nim:\n    preset: nvidia_nim\n    api_key: ${NIM_KEY}\nroutes:\n  default: nim/m\n",
  );
  assert.deepEqual(config.warnings, [
    'config.yaml: providers.nim.api_key: ${NIM_KEY} is not set, so it reads as ""',
  ]);
});

Deno.test("an unset ${VAR} one or two letters off a set variable names that variable", () => {
  const text = (ref: string) =>
    `providers:\n  or:\n    preset: open_router\n    api_key: \${${ref}}\nroutes:\n  default: or/m\n`;
  const env = { OPENROUTER_API_KEY: "sk-or-1", OPENROUTER_PROXY: "" };
  assert.deepEqual(load(text("OPENROUTR_API_KEY"), env).warnings, [
    'config.yaml: providers.or.api_key: ${OPENROUTR_API_KEY} is not set, so it reads as "" ' +
    "(OPENROUTER_API_KEY is set: did you mean ${OPENROUTER_API_KEY}?)",
  ]);
  assert.match(
    load(text("OPENROUTER_API_KEYS"), env).warnings.join(),
    /did you mean \$\{OPENROUTER_API_KEY\}/,
  );
  // Far from every set variable, or close only to an empty one: no guess.
  const unrelated = { GROQ_API_KEY: "gsk_1", OPENROUTER_PROXY: "" };
  assert.doesNotMatch(load(text("MY_ROUTER_KEY"), unrelated).warnings.join(), /did you mean/);
  assert.doesNotMatch(load(text("OPENROUTER_PROXI"), unrelated).warnings.join(), /did you mean/);
});

Deno.test("an unset ${VAR} at a preset's api_key names the preset's own key variable when set", () => {
  const text = "providers:\n  nim:\n    preset: nvidia_nim\n    api_key: ${NVIDIA_KEY}\n" +
    "routes:\n  default: nim/m\n";
  assert.deepEqual(load(text, { NVIDIA_NIM_API_KEY: "nvapi-1" }).warnings, [
    'config.yaml: providers.nim.api_key: ${NVIDIA_KEY} is not set, so it reads as "" ' +
    "(NVIDIA_NIM_API_KEY is set: did you mean ${NVIDIA_NIM_API_KEY}?)",
  ]);
  assert.doesNotMatch(load(text, {}).warnings.join(), /did you mean/);
});

Deno.test("local presets need no key and get no warning", () => {
  const config = load("providers:\n  lm: {preset: lmstudio}\nroutes:\n  default: lm/m\n");
  assert.deepEqual(config.warnings, []);
  assert.equal(config.providers.lm?.baseUrl, "http://127.0.0.1:1234/v1");
});

Deno.test("defining a local preset's id replaces the implicit one and inherits its preset", () => {
  const config = load(
    "providers:\n  ollama:\n    base_url: http://gpu-box:11434\nroutes:\n  default: ollama/qwen3-coder\n",
  );
  const ollama = config.providers.ollama;
  assert.equal(ollama?.implicit, false);
  assert.equal(ollama?.preset, "ollama");
  assert.equal(ollama?.type, "anthropic");
  assert.equal(ollama?.baseUrl, "http://gpu-box:11434");
  assert.equal(Object.keys(config.providers).filter((id) => id === "ollama").length, 1);
});

Deno.test("implicit local presets are usable in routes without configuration", () => {
  const config = load("routes:\n  default: vllm/Qwen/Qwen3-Coder\n");
  assert.deepEqual(config.routes.default, [{ provider: "vllm", model: "Qwen/Qwen3-Coder" }]);
});

Deno.test("without routes.default the first route is used, with a warning", () => {
  const config = load("routes:\n  sonnet: ollama/a\n  haiku: ollama/b\n");
  assert.deepEqual(Object.keys(config.routes), ["default", "sonnet", "haiku"]);
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "a" }]);
  assert.match(config.warnings[0] ?? "", /routes\.default is missing; using routes\.sonnet/);
});

Deno.test("scalars written through ${VAR} are converted like literal ones", () => {
  const config = load(
    `
server:
  port: \${PORT_VAR}
  max_body_size: \${BODY:-10MB}
providers:
  x:
    type: anthropic
    base_url: http://127.0.0.1:8000
    count_tokens: \${COUNT}
    max_concurrency: \${CONC}
    rate_limit: { requests: 5, window: 1m }
    fallback_on: "429,503"
routes:
  default: x/m
`,
    { PORT_VAR: "9001", COUNT: "yes", CONC: "4" },
  );
  assert.equal(config.server.port, 9001);
  assert.equal(config.server.maxBodyBytes, 10_000_000);
  const x = config.providers.x;
  assert.equal(x?.countTokens, true);
  assert.equal(x?.maxConcurrency, 4);
  assert.deepEqual(x?.rateLimit, { requests: 5, windowMs: 60_000 });
  assert.deepEqual(x?.fallbackOn, [429, 503]);
  assert.equal(x?.authHeader, "x-api-key", "anthropic type defaults to its native header");
});

Deno.test("blank keys mean unset", () => {
  const config = load(
    "server:\n  auth_token:\nproviders:\n  nim:\n    preset: groq\n    api_key:\n    proxy:\nroutes:\n  default: nim/m\n",
  );
  assert.equal(config.server.authToken, undefined);
  assert.equal(config.providers.nim?.proxy, undefined);
});

Deno.test("an empty auth token after expansion means no token", () => {
  const config = load("server:\n  auth_token: ${CCP_AUTH_TOKEN:-}\nroutes: {default: ollama/m}\n");
  assert.equal(config.server.authToken, undefined);
  assert.equal("authToken" in config.server, false);
});

Deno.test("passthrough auth is kept for anthropic providers and needs no key", () => {
  const config = load(
    "providers:\n  a: {preset: anthropic, auth: passthrough}\nroutes: {default: a/m}\n",
  );
  assert.equal(config.providers.a?.auth, "passthrough");
  assert.deepEqual(config.warnings, []);
});

Deno.test("the result is deeply frozen", () => {
  const config = load(EXAMPLE);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.server));
  assert.ok(Object.isFrozen(config.providers.nim?.apiKeys));
  assert.ok(Object.isFrozen(config.providers.local?.timeouts));
  assert.ok(Object.isFrozen(config.routes.sonnet?.[1]));
  assert.ok(Object.isFrozen(config.warnings));
  assert.throws(() => {
    (config.providers.nim?.apiKeys as string[]).push("k3");
  }, TypeError);
  assert.throws(() => {
    (config.server as { port: number }).port = 1;
  }, TypeError);
});

Deno.test("usage.retention takes days and weeks, as README's `retention: 90d` shows", () => {
  const base = "routes: {default: ollama/qwen3-coder}\n";
  assert.equal(load(`${base}usage: { retention: 90d }`).usage?.retentionMs, 90 * 86_400_000);
  assert.equal(load(`${base}usage: { retention: 2w }`).usage?.retentionMs, 14 * 86_400_000);
  assert.throws(() => load(`${base}usage: { retention: 3y }`), /usage\.retention: "3y"/);
});

Deno.test("${VAR} written unquoted inside a flow mapping or list (the documented clients example) loads", () => {
  const config = load(
    `server:
  auth_token: \${CCP_AUTH_TOKEN:-main}
clients:
  - { name: alice, token: \${ALICE_TOKEN} }
  - { name: ci, token: \${CI_TOKEN:-ci, x}, routes: [haiku, default] }
providers:
  local: { type: openai, base_url: http://\${HOST:-127.0.0.1}:9999/v1, api_keys: [\${K1}, $\${lit}] }
routes:
  default: local/m
  haiku: local/m
`,
    { ALICE_TOKEN: "a-1", K1: "k-1" },
  );
  assert.deepEqual(config.server.clients?.map((c) => [c.name, c.token]), [
    ["alice", "a-1"],
    ["ci", "ci, x"],
  ]);
  assert.equal(config.providers.local?.baseUrl, "http://127.0.0.1:9999/v1");
  assert.deepEqual(config.providers.local?.apiKeys, ["k-1", "${lit}"]);
});

Deno.test("a ${VAR:-default} whose default is a reference reads that variable, also unquoted in a list", () => {
  const config = load(
    `providers:
  up:
    type: openai
    base_url: \${UP_URL:-\${LOCAL_URL}}
    api_keys: [\${NEW_KEY:-\${OLD_KEY}}, "\${SPARE:-\${OLD_KEY}-2}"]
routes:
  default: up/m
`,
    { OLD_KEY: "sk-old", LOCAL_URL: "http://127.0.0.1:9999/v1" },
  );
  assert.equal(config.providers.up?.baseUrl, "http://127.0.0.1:9999/v1");
  assert.deepEqual(config.providers.up?.apiKeys, ["sk-old", "sk-old-2"]);
});

Deno.test("beside an unquoted flow ${VAR}, a quoted ${VAR:-default} keeps its quoting's escapes", () => {
  const config = load(
    `server:
  auth_token: "\${MAIN:-caf\\u00e9-\\"main\\"}"
clients:
  - { name: alice, token: \${ALICE_TOKEN} }
  - { name: bob, token: '\${BOB_TOKEN:-it''s-bob}' }
routes: {default: ollama/m}
`,
    { ALICE_TOKEN: "a-1" },
  );
  assert.equal(config.server.authToken, 'café-"main"');
  assert.deepEqual(config.server.clients?.map((c) => c.token), ["a-1", "it's-bob"]);
});

Deno.test("a client budget or client route list naming nothing that exists is a warning", () => {
  const config = load(
    `providers: { up: { type: openai, base_url: http://127.0.0.1:9/v1, api_key: k } }
routes: { default: up/m, haiku: up/small }
aliases: { fast: up/small }
clients:
  - { name: alice, token: a-1, routes: [haiku, defualt, fast, explicit] }
  - { name: ci, token: c-1, routes: [sonnet] }
budgets:
  - { client: alise, tokens: 1M, per: day }
  - { client: alice, tokens: 1M, per: day }
  - { client: default, tokens: 1M, per: day }
`,
  );
  const warnings = config.warnings.join("\n");
  assert.match(
    warnings,
    /budgets\[0\]\.client: no client is named "alise" \(did you mean "alice"\?; clients: default, alice, ci\): this budget counts nothing/,
  );
  assert.match(
    warnings,
    /clients\[0\]\.routes: "defualt" is no route or alias \(did you mean "default"\?\)/,
  );
  // A tier word without a route of its own resolves to routes.default, never to "sonnet".
  assert.match(warnings, /clients\[1\]\.routes: "sonnet" is no route or alias/);
  assert.doesNotMatch(warnings, /budgets\[1\]|budgets\[2\]|"haiku"|"fast"|"explicit"/);
});

Deno.test("server.data_dir and log_file starting with ~/ are under the home directory", () => {
  const config = configFromYaml({
    text: "server: { data_dir: ~/ccp-data, log_file: ~/logs/ccp.log }\n" +
      "routes: { default: ollama/qwen3-coder }\n",
    file: "config.yaml",
    env: {},
    flags: { home: "/home/u", cwd: "/srv/work" },
  });
  // Read as relative paths they were directories named "~" in the working directory.
  assert.equal(config.server.dataDir, "/home/u/ccp-data");
  assert.equal(config.server.logFile, "/home/u/logs/ccp.log");
  const fromEnv = configFromYaml({
    text: "routes: { default: ollama/qwen3-coder }\n",
    file: "config.yaml",
    env: { CCP_DATA_DIR: "~/d", HOME: "/home/v" },
    flags: { cwd: "/srv/work" },
  });
  assert.equal(fromEnv.server.dataDir, "/home/v/d");
  const plain = configFromYaml({
    text: "server: { data_dir: data/~x }\nroutes: { default: ollama/qwen3-coder }\n",
    file: "config.yaml",
    env: {},
    flags: { home: "/home/u", cwd: "/srv/work" },
  });
  assert.equal(plain.server.dataDir, "/srv/work/data/~x");
});

Deno.test("a budget may name a local preset that routes use without a providers entry", () => {
  const config = load(
    "routes: { default: ollama/qwen3-coder }\nbudgets:\n  - { target: ollama, tokens: 5M, per: day }\n",
  );
  assert.deepEqual(config.budgets?.map((b) => b.provider), ["ollama"]);
  assert.throws(
    () =>
      load(
        "routes: { default: ollama/m }\nbudgets:\n  - { target: olama, tokens: 1M, per: day }\n",
      ),
    /budgets\[0\]\.target: unknown provider "olama"/,
  );
});

Deno.test("a key variable set but empty names that variable, not an api_key entry to add", () => {
  // `ccp init`'s .env lists `# OPENROUTER_API_KEY=`: uncommented and left empty, the variable is
  // set, and the file already reads it.
  const config = load(
    "providers:\n  or:\n    preset: open_router\n    api_key: ${OPENROUTER_API_KEY}\n" +
      "routes:\n  default: or/m\n",
    { OPENROUTER_API_KEY: "" },
  );
  assert.deepEqual(config.warnings, [
    'config.yaml: providers.or.api_key: ${OPENROUTER_API_KEY} is set but empty, so it reads as ""',
  ]);
  assert.equal(
    missingKeyAdvice(config.providers.or!),
    "OPENROUTER_API_KEY, which providers.or.api_key reads (it is empty)",
  );
});

Deno.test("a provider whose key list reads only unset variables is told to set the first", () => {
  // README's example: `api_keys: ["${NIM_KEY_1}", "${NIM_KEY_2}"]` with neither set.
  const config = load(
    'providers:\n  nim:\n    preset: nvidia_nim\n    api_keys: ["${NIM_KEY_1}", "${NIM_KEY_2}"]\n' +
      "routes:\n  default: nim/m\n",
  );
  assert.equal(
    missingKeyAdvice(config.providers.nim!),
    "NIM_KEY_1, which providers.nim.api_keys[0] reads",
  );
});
