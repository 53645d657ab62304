import assert from "node:assert/strict";
import { defaultConfig } from "../../src/config/default.ts";
import { defaultModeNotice } from "../../src/config/default_notice.ts";
import { configFromSources } from "../helpers/config.ts";

Deno.test("with no YAML and no MODEL the embedded default routes to local Ollama", () => {
  const config = configFromSources({ flags: {}, env: {} });
  assert.deepEqual(config.source, { kind: "default" });
  assert.deepEqual(config.routes, { default: [{ provider: "ollama", model: "qwen3-coder" }] });
  assert.equal(config.providers.ollama?.baseUrl, "http://127.0.0.1:11434");
  assert.equal(config.providers.ollama?.implicit, true);
  assert.equal(config.providers.ollama?.type, "anthropic");
  assert.deepEqual(config.warnings, []);
  assert.ok(Object.isFrozen(config.routes.default?.[0]));
});

Deno.test("MODEL_FALLBACKS without MODEL: a warning says the fallbacks have no route to follow", () => {
  const config = defaultConfig({ env: { MODEL_FALLBACKS: "ollama/f" } });
  assert.deepEqual(config.warnings, [
    "MODEL_FALLBACKS is set but MODEL is not: fallbacks follow the MODEL* routes, so they are " +
    "not used; set MODEL=provider/model too",
  ]);
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "qwen3-coder" }]);
});

Deno.test("OLLAMA_BASE_URL moves the default", () => {
  const config = defaultConfig({ env: { OLLAMA_BASE_URL: "http://gpu-box:11434/" } });
  assert.equal(config.providers.ollama?.baseUrl, "http://gpu-box:11434");
});

Deno.test("provider keys without MODEL: the provider exists, and a warning says how to route to it", () => {
  const config = defaultConfig({ env: { NVIDIA_NIM_API_KEY: "k" } });
  assert.deepEqual(config.warnings, [
    "NVIDIA_NIM_API_KEY is set but MODEL is not: nvidia_nim/<model> reaches nvidia_nim, and " +
    "MODEL=nvidia_nim/<model> sends every request there",
  ]);
  // An explicit nvidia_nim/<model> can be served; everything else still goes to Ollama.
  assert.deepEqual(Object.keys(config.providers).sort(), ["nvidia_nim", "ollama"]);
  assert.deepEqual(config.providers.nvidia_nim?.apiKeys, ["k"]);
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "qwen3-coder" }]);
  // Hosted presets without a key stay out of reach.
  assert.equal(config.providers.open_router, undefined);
});

Deno.test("variables set for other tools never keep the default from starting", () => {
  const config = defaultConfig({
    env: {
      OPENAI_API_KEY: "sk-x",
      OPENAI_BASE_URL: "api.openai.com",
      OPENAI_COMPATIBLE_API_KEY: "k",
    },
  });
  assert.deepEqual(config.routes.default, [{ provider: "ollama", model: "qwen3-coder" }]);
  assert.equal(config.providers.openai, undefined);
  assert.equal(config.providers.openai_compatible, undefined);
  assert.ok(
    config.warnings.some((w) => /OPENAI_BASE_URL.*left out/.test(w)),
    config.warnings.join("\n"),
  );
  // A bad value for the embedded default itself still stops the start.
  assert.throws(() => defaultConfig({ env: { OLLAMA_BASE_URL: "not a url" } }), /OLLAMA_BASE_URL/);
  // One warning per key variable (openai and openai_responses share OPENAI_API_KEY).
  const shared = defaultConfig({ env: { OPENAI_API_KEY: "sk-x" } });
  assert.equal(shared.warnings.filter((w) => w.startsWith("OPENAI_API_KEY")).length, 1);
});

Deno.test("the start-up notice says what runs and how to configure something else", () => {
  const notice = defaultModeNotice(defaultConfig({ env: {} }));
  assert.match(notice, /ollama\/qwen3-coder at http:\/\/127\.0\.0\.1:11434/);
  assert.match(notice, /ccp init/);
  assert.match(notice, /MODEL=provider\/model/);
  // OLLAMA_BASE_URL's password and query (a key may sit there under any name) stay out of it.
  const behind = defaultModeNotice(defaultConfig({
    env: {
      OLLAMA_BASE_URL: "https://me:hunter2pass@box.example:11434?token=tok123456789&k=kv98765",
    },
  }));
  assert.match(behind, /ollama\/qwen3-coder at https:\/\/me:\*\*\*@box\.example:11434\. /);
  assert.doesNotMatch(behind, /hunter2pass|tok123456789|kv98765/);
});

Deno.test("flags still apply in default mode", () => {
  const config = defaultConfig({ env: { PORT: "9000" }, flags: { host: "::1" } });
  assert.equal(config.server.host, "::1");
  assert.equal(config.server.port, 9000);
});
