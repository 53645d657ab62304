import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { describeConfig } from "../../../src/config/describe.ts";
import { configFromLiteLLMEnv, usesLiteLLMEnv } from "../../../src/config/env/litellm.ts";
import { configFromSources } from "../../helpers/config.ts";
import { resolveModel } from "../../helpers/resolve.ts";

const fromEnv = (env: Record<string, string>) => configFromSources({ flags: {}, env });

Deno.test("LiteLLM style is selected by BIG_MODEL, SMALL_MODEL or PREFERRED_PROVIDER", () => {
  assert.equal(usesLiteLLMEnv({}), false);
  assert.equal(usesLiteLLMEnv({ OPENAI_API_KEY: "k" }), false);
  assert.equal(usesLiteLLMEnv({ BIG_MODEL: "gpt-4.1" }), true);
  assert.equal(usesLiteLLMEnv({ PREFERRED_PROVIDER: "google" }), true);
  assert.deepEqual(fromEnv({ SMALL_MODEL: "x" }).source, { kind: "env", style: "litellm" });
  assert.deepEqual(fromEnv({ MODEL: "ollama/a", SMALL_MODEL: "x" }).source, { kind: "env" });
  assert.equal(fromEnv({ OPENAI_API_KEY: "k" }).source.kind, "default");
});

Deno.test("openai (default): sonnet, opus, default → BIG_MODEL; haiku → SMALL_MODEL", () => {
  const config = fromEnv({
    BIG_MODEL: "openai/gpt-4o",
    OPENAI_API_KEY: "sk-1234567890abcdef",
    OPENAI_BASE_URL: "http://127.0.0.1:4000/v1",
  });
  const openai = config.providers.openai;
  assert.equal(openai?.baseUrl, "http://127.0.0.1:4000/v1");
  assert.deepEqual(openai?.apiKeys, ["sk-1234567890abcdef"]);
  assert.deepEqual(config.routes, {
    default: [{ provider: "openai", model: "gpt-4o" }],
    opus: [{ provider: "openai", model: "gpt-4o" }],
    sonnet: [{ provider: "openai", model: "gpt-4o" }],
    haiku: [{ provider: "openai", model: "gpt-4.1-mini" }],
  });
  assert.deepEqual(config.warnings, []);
});

Deno.test("google uses the gemini preset and Gemini defaults", () => {
  const config = fromEnv({ PREFERRED_PROVIDER: "google", GEMINI_API_KEY: "g-1234567890ab" });
  assert.equal(config.providers.gemini?.type, "gemini");
  assert.deepEqual(config.routes.sonnet, [{ provider: "gemini", model: "gemini-2.5-pro" }]);
  assert.deepEqual(config.routes.haiku, [{ provider: "gemini", model: "gemini-2.5-flash" }]);
});

Deno.test("anthropic passes the client's model names through", () => {
  const config = fromEnv({
    PREFERRED_PROVIDER: "anthropic",
    ANTHROPIC_API_KEY: "sk-ant-1234567890",
    BIG_MODEL: "ignored",
  });
  assert.ok(config.warnings.some((w) => w.startsWith("BIG_MODEL ignored")), config.warnings.join());
  const resolution = resolveModel({ model: "claude-sonnet-4-5-20250929" }, config);
  assert.deepEqual(resolution.chain, [{
    provider: "anthropic",
    model: "claude-sonnet-4-5-20250929",
  }]);
  assert.match(describeConfig(config), /sonnet → anthropic\/<client model>/);
});

Deno.test("MAX_OUTPUT_TOKENS caps those routes (0 = no cap); thinking variables apply too", () => {
  const capped = fromEnv({ BIG_MODEL: "gpt-4.1", MAX_OUTPUT_TOKENS: "16k" });
  for (const route of Object.values(capped.routes)) {
    assert.equal(route[0]?.settings?.maxOutputTokens, 16_000);
  }
  const none = fromEnv({ BIG_MODEL: "gpt-4.1", MAX_OUTPUT_TOKENS: "0" });
  assert.equal(none.routes.default?.[0]?.settings, undefined);
  const thinking = fromEnv({ BIG_MODEL: "gpt-4.1", ENABLE_HAIKU_THINKING: "false" });
  assert.deepEqual(thinking.routes.haiku?.[0]?.settings, { thinking: "off" });
});

Deno.test("ccp check says which environment style it read", () => {
  const text = describeConfig(fromEnv({ BIG_MODEL: "gpt-4.1", OPENAI_API_KEY: "k" }));
  assert.match(text, /Source: environment variables in LiteLLM style/);
  assert.match(text, /sonnet → openai\/gpt-4\.1/);
});

Deno.test("bad LiteLLM-style values name the variable", () => {
  assert.throws(
    () => configFromLiteLLMEnv({ env: { PREFERRED_PROVIDER: "googel", MAX_OUTPUT_TOKENS: "x" } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.includes(
        'PREFERRED_PROVIDER: unknown provider "googel" (did you mean "google"?',
      ) &&
      err.message.includes('MAX_OUTPUT_TOKENS: "x" is not a token size'),
  );
});

Deno.test("a missing key is a warning that names the variable", () => {
  const config = fromEnv({ BIG_MODEL: "gpt-4.1" });
  assert.ok(
    config.warnings.some((w) => w.includes("openai has no API key: set OPENAI_API_KEY")),
    config.warnings.join("\n"),
  );
});
