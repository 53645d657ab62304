import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { configFromEnv, usesEnvMode } from "../../../src/config/env/mode.ts";

Deno.test("usesEnvMode is triggered by any non-blank MODEL* variable only", () => {
  assert.equal(usesEnvMode({}), false);
  assert.equal(usesEnvMode({ MODEL: "  " }), false);
  assert.equal(usesEnvMode({ NVIDIA_NIM_API_KEY: "k" }), false);
  assert.equal(usesEnvMode({ MODEL: "ollama/x" }), true);
  assert.equal(usesEnvMode({ MODEL_HAIKU: "ollama/x" }), true);
});

Deno.test("MODEL and tiers: blank tiers inherit MODEL", () => {
  const config = configFromEnv({
    env: {
      MODEL: "nvidia_nim/z-ai/glm4.7",
      MODEL_OPUS: "open_router/moonshotai/kimi-k2.5",
      MODEL_SONNET: "",
      NVIDIA_NIM_API_KEY: "nv",
      OPENROUTER_API_KEY: "or",
    },
  });
  assert.deepEqual(config.source, { kind: "env" });
  assert.deepEqual(config.routes, {
    default: [{ provider: "nvidia_nim", model: "z-ai/glm4.7" }],
    opus: [{ provider: "open_router", model: "moonshotai/kimi-k2.5" }],
    sonnet: [{ provider: "nvidia_nim", model: "z-ai/glm4.7" }],
    haiku: [{ provider: "nvidia_nim", model: "z-ai/glm4.7" }],
    fable: [{ provider: "nvidia_nim", model: "z-ai/glm4.7" }],
  });
  assert.deepEqual(config.aliases, {});
  assert.deepEqual(config.warnings, []);
});

Deno.test("a comma list in MODEL is a failover chain", () => {
  const config = configFromEnv({ env: { MODEL: "ollama/a, lmstudio/b" } });
  assert.deepEqual(config.routes.default, [
    { provider: "ollama", model: "a" },
    { provider: "lmstudio", model: "b" },
  ]);
});

Deno.test("without MODEL the first tier becomes the default, with a warning", () => {
  const config = configFromEnv({ env: { MODEL_SONNET: "ollama/s", MODEL_HAIKU: "ollama/h" } });
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "s" }]);
  assert.deepEqual(config.routes.opus, [{ provider: "ollama", model: "s" }]);
  assert.deepEqual(config.routes.haiku, [{ provider: "ollama", model: "h" }]);
  assert.match(config.warnings[0] ?? "", /MODEL is not set; using MODEL_SONNET as the default/);
});

Deno.test("providers: every preset with a key set, every preset named, locals with a variable set", () => {
  const config = configFromEnv({
    env: {
      MODEL: "ollama/llama3",
      GROQ_API_KEY: "g",
      DEEPSEEK_API_KEYS: "d1,d2",
      LM_STUDIO_BASE_URL: "http://127.0.0.1:1234/v1",
    },
  });
  assert.deepEqual(Object.keys(config.providers), ["groq", "deepseek", "lmstudio", "ollama"]);
  assert.equal(config.providers.groq?.implicit, false);
  assert.equal(config.providers.ollama?.implicit, false, "named in MODEL");
  assert.equal(config.providers.lmstudio?.implicit, false, "its base URL is set");
  assert.equal(config.providers.vllm, undefined, "a local preset nothing names does not exist");
  assert.equal(config.providers.nvidia_nim, undefined);
});

Deno.test("key lists: <P>_API_KEY first, then <P>_API_KEYS split on commas and whitespace", () => {
  const config = configFromEnv({
    env: {
      MODEL: "nvidia_nim/m",
      NVIDIA_NIM_API_KEY: "k0",
      NVIDIA_NIM_API_KEYS: "k1,k2  k3\nk0",
      NVIDIA_NIM_KEY_USAGE_LIMIT: "25",
    },
  });
  assert.deepEqual(config.providers.nvidia_nim?.apiKeys, ["k0", "k1", "k2", "k3"]);
  assert.equal(config.providers.nvidia_nim?.keyUsageLimit, 25);
});

Deno.test("base URL and proxy overrides use free-claude-code's variable names", () => {
  const config = configFromEnv({
    env: {
      MODEL: "lmstudio/m",
      LM_STUDIO_BASE_URL: "http://10.0.0.5:1234/v1/",
      OLLAMA_BASE_URL: "http://gpu:11434",
      LLAMACPP_BASE_URL: "http://gpu:8081/v1",
      VLLM_BASE_URL: "http://gpu:8001/v1",
      CLIPROXYAPI_BASE_URL: "http://gpu:8318/v1",
      LMSTUDIO_PROXY: "http://proxy:3128",
      NVIDIA_NIM_API_KEY: "k",
      NVIDIA_NIM_BASE_URL: "https://nim.internal/v1",
      NVIDIA_NIM_PROXY: "socks5://proxy:1080",
    },
  });
  const p = config.providers;
  assert.equal(p.lmstudio?.baseUrl, "http://10.0.0.5:1234/v1");
  assert.equal(p.lmstudio?.proxy, "http://proxy:3128");
  assert.equal(p.ollama?.baseUrl, "http://gpu:11434");
  assert.equal(p.ollama?.implicit, false, "a variable of its own was set");
  assert.equal(p.llamacpp?.baseUrl, "http://gpu:8081/v1");
  assert.equal(p.vllm?.baseUrl, "http://gpu:8001/v1");
  assert.equal(p.cliproxyapi?.baseUrl, "http://gpu:8318/v1");
  assert.equal(p.nvidia_nim?.baseUrl, "https://nim.internal/v1");
  assert.equal(p.nvidia_nim?.proxy, "socks5://proxy:1080");
});

Deno.test("LM Studio's proxy is also read as its key variable's prefix spells it", () => {
  const spelled = (env: Record<string, string>) =>
    configFromEnv({ env: { MODEL: "lmstudio/m", ...env } }).providers.lmstudio?.proxy;
  assert.equal(spelled({ LM_STUDIO_PROXY: "http://prefix:3128" }), "http://prefix:3128");
  // free-claude-code's spelling wins when both are set.
  assert.equal(
    spelled({ LM_STUDIO_PROXY: "http://prefix:3128", LMSTUDIO_PROXY: "http://fcc:3128" }),
    "http://fcc:3128",
  );
  // A bad value names the variable it came from.
  assert.throws(
    () => spelled({ LM_STUDIO_PROXY: "ftp://nowhere" }),
    (err: Error) => /LM_STUDIO_PROXY/.test(err.message),
  );
});

Deno.test("ANTHROPIC_BASE_URL is not read for the anthropic preset (it usually points at ccp)", () => {
  const config = configFromEnv({
    env: {
      MODEL: "anthropic/claude-sonnet-4",
      ANTHROPIC_API_KEY: "sk",
      ANTHROPIC_BASE_URL: "http://127.0.0.1:8082",
    },
  });
  assert.equal(config.providers.anthropic?.baseUrl, "https://api.anthropic.com");
});

Deno.test("a MODEL naming an unknown provider is an error naming the variable", () => {
  assert.throws(
    () => configFromEnv({ env: { MODEL: "ollama/x", MODEL_OPUS: "nvidia/z-ai/glm4.7" } }),
    (err: Error) =>
      err instanceof ConfigError &&
      err.message.startsWith('MODEL_OPUS: unknown provider "nvidia" in "nvidia/z-ai/glm4.7" (') &&
      err.message.includes("nvidia_nim"),
  );
  assert.throws(() => configFromEnv({ env: { MODEL: "glm4.7" } }), {
    message: 'MODEL: "glm4.7" is not provider/model (e.g. "nvidia_nim/z-ai/glm4.7")',
  });
});

Deno.test("a hosted provider without a key is a warning naming the variable", () => {
  const config = configFromEnv({ env: { MODEL: "nvidia_nim/m", MODEL_HAIKU: "nvidia_nim/small" } });
  assert.deepEqual(config.providers.nvidia_nim?.apiKeys, []);
  assert.deepEqual(config.warnings, [
    "nvidia_nim has no API key: set NVIDIA_NIM_API_KEY (used by MODEL, MODEL_HAIKU)",
  ]);
});

Deno.test("openai_compatible needs its base URL variable", () => {
  assert.throws(() => configFromEnv({ env: { MODEL: "openai_compatible/m" } }), {
    message: /^OPENAI_COMPATIBLE_BASE_URL: not set/,
  });
  const ok = configFromEnv({
    env: { MODEL: "openai_compatible/m", OPENAI_COMPATIBLE_BASE_URL: "http://h/v1" },
  });
  assert.equal(ok.providers.openai_compatible?.baseUrl, "http://h/v1");
});

Deno.test("bad variable values name the variable", () => {
  assert.throws(
    () => configFromEnv({ env: { MODEL: "ollama/m", OLLAMA_BASE_URL: "gpu:11434x" } }),
    {
      message: /^OLLAMA_BASE_URL: /,
    },
  );
  assert.throws(
    () =>
      configFromEnv({ env: { MODEL: "groq/m", GROQ_API_KEY: "k", GROQ_KEY_USAGE_LIMIT: "lots" } }),
    {
      message: /^GROQ_KEY_USAGE_LIMIT: expected a whole number/,
    },
  );
});

Deno.test("free-claude-code's PROVIDER_* and HTTP_*_TIMEOUT knobs apply to every provider", () => {
  const config = configFromEnv({
    env: {
      MODEL: "ollama/m",
      VLLM_BASE_URL: "http://127.0.0.1:8000/v1",
      PROVIDER_MAX_RETRIES: "8",
      PROVIDER_RATE_LIMIT: "1",
      PROVIDER_RATE_WINDOW: "3",
      PROVIDER_MAX_CONCURRENCY: "2",
      HTTP_CONNECT_TIMEOUT: "20",
      HTTP_READ_TIMEOUT: "off",
    },
  });
  const p = config.providers.ollama;
  assert.equal(p?.maxRetries, 8);
  assert.deepEqual(p?.rateLimit, { requests: 1, windowMs: 3_000 });
  assert.equal(p?.maxConcurrency, 2);
  assert.equal(p?.timeouts.connectMs, 20_000);
  assert.equal(p?.timeouts.idleMs, 0);
  assert.equal(config.providers.vllm?.maxRetries, 8);
  assert.throws(() => configFromEnv({ env: { MODEL: "ollama/m", PROVIDER_MAX_RETRIES: "many" } }), {
    message: /^PROVIDER_MAX_RETRIES: /,
  });
  assert.throws(() => configFromEnv({ env: { MODEL: "ollama/m", HTTP_READ_TIMEOUT: "soon" } }), {
    message: /^HTTP_READ_TIMEOUT: "soon" is not a duration/,
  });
});

Deno.test("environment-only config is deeply frozen", () => {
  const config = configFromEnv({ env: { MODEL: "ollama/m" } });
  assert.ok(Object.isFrozen(config.routes.default));
  assert.ok(Object.isFrozen(config.providers.ollama?.fallbackOn));
});

Deno.test("MODEL_FABLE fills the fable route; blank, it inherits MODEL", () => {
  assert.equal(usesEnvMode({ MODEL_FABLE: "ollama/f" }), true);
  const set = configFromEnv({ env: { MODEL: "ollama/m", MODEL_FABLE: "ollama/f" } });
  assert.deepEqual(set.routes.fable, [{ provider: "ollama", model: "f" }]);
  const blank = configFromEnv({ env: { MODEL: "ollama/m" } });
  assert.deepEqual(blank.routes.fable, [{ provider: "ollama", model: "m" }]);
});

Deno.test("MODEL_FALLBACKS (free-claude-code) follows each route's own targets", () => {
  const config = configFromEnv({
    env: {
      MODEL: "ollama/m",
      MODEL_OPUS: "ollama/o",
      MODEL_HAIKU: "lmstudio/h",
      MODEL_FALLBACKS: "lmstudio/h, ollama/last, ollama/last",
    },
  });
  assert.deepEqual(config.routes.opus, [
    { provider: "ollama", model: "o" },
    { provider: "lmstudio", model: "h" },
    { provider: "ollama", model: "last" },
  ]);
  // A target already in the chain is not tried twice.
  assert.deepEqual(config.routes.haiku, [
    { provider: "lmstudio", model: "h" },
    { provider: "ollama", model: "last" },
  ]);
  assert.deepEqual(config.routes.default, [
    { provider: "ollama", model: "m" },
    { provider: "lmstudio", model: "h" },
    { provider: "ollama", model: "last" },
  ]);
  assert.throws(
    () => configFromEnv({ env: { MODEL: "ollama/m", MODEL_FALLBACKS: "nope/x" } }),
    (err: Error) =>
      err instanceof ConfigError && /^MODEL_FALLBACKS: unknown provider "nope"/.test(err.message),
  );
});

Deno.test("free-claude-code variables ccp does not read are named, with what to do instead", () => {
  const config = configFromEnv({
    env: {
      MODEL: "ollama/m",
      REASONING_POLICY: "high",
      REASONING_OPUS: "inherit",
      PROVIDER_RETRY_BASE_DELAY: "2",
      ENABLE_WEB_SERVER_TOOLS: "true",
      FAST_PREFIX_DETECTION: "true",
      ENABLE_NETWORK_PROBE_MOCK: "true",
      PROVIDER_PROGRESS_TIMEOUT: "600",
      HTTP_WRITE_TIMEOUT: "10",
      FCC_ENV_FILE: "/x/.env",
    },
  });
  const text = config.warnings.join("\n");
  for (
    const name of [
      "ENABLE_WEB_SERVER_TOOLS",
      "FAST_PREFIX_DETECTION",
      "ENABLE_NETWORK_PROBE_MOCK",
      "PROVIDER_PROGRESS_TIMEOUT",
      "HTTP_WRITE_TIMEOUT",
      "FCC_ENV_FILE",
    ]
  ) assert.match(text, new RegExp(`\\b${name}\\b`), name);
  assert.match(text, /not read by ccp/);
  // The config dir's .env is read whichever config file is in use.
  assert.match(
    text,
    /FCC_ENV_FILE: .*working directory, beside its config file and in the config dir/,
  );
  assert.ok(config.warnings.length <= 6, text);
  // Variables ccp reads are never named so.
  assert.doesNotMatch(text, /\bMODEL\b|PROVIDER_RATE_LIMIT|PROVIDER_RETRY|REASONING_/);
  assert.deepEqual(configFromEnv({ env: { MODEL: "ollama/m" } }).warnings, []);
});

Deno.test("a key in a near-miss variable is named beside the missing one", () => {
  const warnings = (env: Record<string, string>) =>
    configFromEnv({ env: { MODEL: "nvidia_nim/z-ai/glm4.7", ...env } }).warnings.join("\n");
  for (const stray of ["NVIDIA_API_KEY", "NIM_API_KEY", "NVIDIA_NIM_KEY", "nvidia_nim_api_key"]) {
    assert.match(
      warnings({ [stray]: "nvapi-x" }),
      new RegExp(`set NVIDIA_NIM_API_KEY .*; ${stray} is set, but ccp does not read it`),
      stray,
    );
  }
  // Unrelated keys are not named.
  assert.doesNotMatch(
    warnings({ GROQ_API_KEY: "g", GITHUB_TOKEN: "t", ANIMATION_TOKEN: "a" }),
    /is set, but/,
  );
  const or = configFromEnv({ env: { MODEL: "open_router/x/y", OPEN_ROUTER_API_KEY: "k" } });
  assert.match(or.warnings.join("\n"), /OPEN_ROUTER_API_KEY is set, but ccp does not read it/);
  // A misspelt provider name in the variable is named too.
  const typo = configFromEnv({ env: { MODEL: "open_router/x/y", OPENROUTR_API_KEY: "k" } });
  assert.match(typo.warnings.join("\n"), /OPENROUTR_API_KEY is set, but ccp does not read it/);
});

Deno.test("a MODEL without its provider, or with it spelled another way, names the keyed preset", () => {
  const env = { NVIDIA_NIM_API_KEY: "nvapi-0123456789" };
  const errorOf = (model: string, more: Record<string, string> = {}) => {
    try {
      configFromEnv({ env: { ...env, ...more, MODEL: model } });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail("loaded");
  };
  // The model as the provider lists it: the preset goes in front.
  assert.match(
    errorOf("moonshotai/kimi-k2.5"),
    /unknown provider "moonshotai" in "moonshotai\/kimi-k2\.5" \(did you mean "nvidia_nim\/moonshotai\/kimi-k2\.5"\? \(NVIDIA_NIM_API_KEY is set\); known:/,
  );
  // A provider written another way: the preset replaces it.
  assert.match(
    errorOf("nim/moonshotai/kimi-k2.5"),
    /did you mean "nvidia_nim\/moonshotai\/kimi-k2\.5"\?/,
  );
  // Two hosted keys set: no guess between them.
  assert.doesNotMatch(
    errorOf("moonshotai/kimi-k2.5", { OPENROUTER_API_KEY: "sk-or-v1-0123" }),
    /did you mean/,
  );
});
