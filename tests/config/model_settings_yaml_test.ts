import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";
import { describeConfig } from "../../src/config/describe.ts";

const load = (text: string, env: Record<string, string> = {}) =>
  configFromYaml({ text, file: "config.yaml", env });

/** The ConfigError message for `text`, failing the test when it loads. */
const errorOf = (text: string): string => configErrorOf(() => load(text));

const NIM = `
providers:
  nim:
    preset: nvidia_nim
    api_key: k
`;

Deno.test("model_settings: every key, token sizes and on/off words", () => {
  const config = load(`${NIM}    model_settings:
      "*": { max_output_tokens: 16k }
      moonshotai/kimi-k2.5:
        max_output_tokens: 32K
        context_window: 1M
        reasoning_effort: high
        thinking: on
        extra_body: { chat_template_kwargs: { thinking: true }, stream_options: null }
        supports: { images: false, documents: true, tools: "yes", thinking: true }
      other: { thinking: false, max_output_tokens: 8000 }
routes:
  default: nim/moonshotai/kimi-k2.5
`);
  assert.deepEqual(config.providers.nim?.modelSettings, {
    "*": { maxOutputTokens: 16_000 },
    "moonshotai/kimi-k2.5": {
      maxOutputTokens: 32_000,
      contextWindow: 1_000_000,
      reasoningEffort: "high",
      thinking: "on",
      // The null is kept: it removes the field from the upstream request.
      extraBody: { chat_template_kwargs: { thinking: true }, stream_options: null },
      supports: { images: false, documents: true, tools: true, thinking: true },
    },
    other: { thinking: "off", maxOutputTokens: 8000 },
  });
});

Deno.test("provider_defaults.model_settings apply to every provider, below its own", () => {
  const config = load(`${NIM}    model_settings:
      m: { max_output_tokens: 8k }
  local:
    type: openai
    base_url: http://127.0.0.1:9/v1
provider_defaults:
  model_settings:
    "*": { context_window: 128k }
    m: { max_output_tokens: 4k, supports: { images: false } }
routes:
  default: nim/m
`);
  assert.deepEqual(config.providers.nim?.modelSettings?.["*"], { contextWindow: 128_000 });
  assert.deepEqual(config.providers.nim?.modelSettings?.m, {
    maxOutputTokens: 8_000,
    supports: { images: false },
  });
  assert.deepEqual(config.providers.local?.modelSettings, {
    "*": { contextWindow: 128_000 },
    m: { maxOutputTokens: 4_000, supports: { images: false } },
  });
});

Deno.test("providers without model_settings keep their old shape", () => {
  const config = load(`${NIM}routes:\n  default: nim/m\n`);
  assert.equal("modelSettings" in (config.providers.nim ?? {}), false);
  assert.deepEqual(config.routes.default, [{ provider: "nim", model: "m" }]);
});

Deno.test("model_settings errors name the key path", async (t) => {
  await t.step("unknown setting key, with did-you-mean", () => {
    const message = errorOf(
      `${NIM}    model_settings:\n      m: { max_output_token: 8k }\nroutes: {default: nim/m}\n`,
    );
    assert.match(
      message,
      /config\.yaml: providers\.nim\.model_settings\.m\.max_output_token: unknown key \(did you mean "max_output_tokens"\?\)/,
    );
  });
  await t.step("bad token size", () => {
    const message = errorOf(
      `${NIM}    model_settings:\n      z-ai/glm4.7: { context_window: 12q }\nroutes: {default: nim/m}\n`,
    );
    assert.match(
      message,
      /providers\.nim\.model_settings\["z-ai\/glm4\.7"\]\.context_window: "12q" is not a token size \(use 8k, 128K, 1M\)/,
    );
  });
  await t.step("zero tokens, bad effort, bad switch, unknown supports flag", () => {
    const message = errorOf(`${NIM}    model_settings:
      m:
        max_output_tokens: 0
        reasoning_effort: hihg
        thinking: maybe
        supports: { image: false }
        extra_body: [1]
routes: {default: nim/m}
`);
    assert.match(message, /model_settings\.m\.max_output_tokens: must be 1 or more, got 0/);
    assert.match(
      message,
      /model_settings\.m\.reasoning_effort: unknown reasoning effort "hihg" \(did you mean "high"\?/,
    );
    assert.match(message, /model_settings\.m\.thinking: expected on or off, got "maybe"/);
    assert.match(
      message,
      /model_settings\.m\.supports\.image: unknown key \(did you mean "images"\?\)/,
    );
    assert.match(message, /model_settings\.m\.extra_body: expected a mapping, got a list/);
  });
  await t.step("under provider_defaults too", () => {
    const message = errorOf(
      "provider_defaults:\n  model_settings: { m: { thinking: maybe } }\nroutes: {default: ollama/m}\n",
    );
    assert.match(
      message,
      /provider_defaults\.model_settings\.m\.thinking: expected on or off, got "maybe"/,
    );
  });
});

Deno.test("route variants: one upstream model as several Claude Code models", () => {
  const config = load(`${NIM}routes:
  default: nim/a
  opus: { target: nim/x, reasoning_effort: high }
  sonnet: [nim/y, { target: [nim/z, ollama/w], thinking: off, max_output_tokens: 8k }]
aliases:
  x-high: { target: nim/x, reasoning_effort: high }
  x-low: { target: nim/x, reasoning_effort: low, supports: { images: false } }
  plain: { target: nim/x }
`);
  assert.deepEqual(config.routes.opus, [
    { provider: "nim", model: "x", settings: { reasoningEffort: "high" } },
  ]);
  assert.deepEqual(config.routes.sonnet, [
    { provider: "nim", model: "y" },
    { provider: "nim", model: "z", settings: { thinking: "off", maxOutputTokens: 8000 } },
    { provider: "ollama", model: "w", settings: { thinking: "off", maxOutputTokens: 8000 } },
  ]);
  assert.deepEqual(config.aliases["x-low"], [
    {
      provider: "nim",
      model: "x",
      settings: { reasoningEffort: "low", supports: { images: false } },
    },
  ]);
  assert.deepEqual(config.aliases.plain, [{ provider: "nim", model: "x" }]);
});

Deno.test("route variant errors name the key path", () => {
  const message = errorOf(`${NIM}routes:
  default: { target: nim/x, reasoning_efort: high }
  opus: { reasoning_effort: high }
  haiku: { target: [nim/a, 3] }
aliases:
  a: { target: nim/x, max_output_tokens: lots }
  b: { target: [] }
  c: 42
`);
  assert.match(
    message,
    /routes\.default\.reasoning_efort: unknown key \(did you mean "reasoning_effort"\?\)/,
  );
  assert.match(message, /routes\.opus\.target: missing: a variant needs target:/);
  assert.match(message, /routes\.haiku\.target\[1\]: expected "provider\/model", got 3/);
  assert.match(message, /aliases\.a\.max_output_tokens: "lots" is not a token size/);
  assert.match(
    message,
    /aliases\.b\.target: expected "provider\/model" or a list of them, got an empty list/,
  );
  assert.match(
    message,
    /aliases\.c: expected "provider\/model", a list of them or \{target: …\}, got 42/,
  );
});

Deno.test("a variant's unknown provider is reported at its target", () => {
  const message = errorOf(`${NIM}routes:\n  default: [nim/a, { target: nmi/b }]\n`);
  assert.match(message, /routes\.default\[1\]\.target: unknown provider "nmi" \(known: nim\)/);
});

Deno.test("ccp check shows model settings and variant settings briefly", () => {
  const config = load(`${NIM}    model_settings:
      m: { max_output_tokens: 32k, supports: { images: false }, extra_body: { secret: s3cr3t } }
routes:
  default: nim/m
aliases:
  m-high: { target: nim/m, reasoning_effort: high, thinking: on }
`);
  const text = describeConfig(config);
  assert.match(text, /model m: max output 32000, extra_body secret, no images/);
  assert.match(text, /m-high → nim\/m \[effort high, thinking on\]/);
  assert.ok(!text.includes("s3cr3t"), "extra_body values are not printed");
});
