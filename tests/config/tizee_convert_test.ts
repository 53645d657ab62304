import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { convertTizee, TizeeError } from "../../src/config/tizee/convert.ts";
import { renderConfigYaml, renderDotenv } from "../../src/config/ccr/render.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { formatTarget } from "../../src/routing/target_text.ts";

/** anthropic-proxy's models.yaml: effort variants of one model, a direct Anthropic endpoint. */
const MODELS = `
- model_id: deepseek-high
  model_name: deepseek-reasoner
  api_base: https://api.deepseek.com/v1
  api_key: sk-ds-literal-0123456789
  reasoning_effort: high
  max_tokens: 8k
  context: 128k
- model_id: deepseek-fast
  model_name: deepseek-reasoner
  api_base: https://api.deepseek.com/v1
  api_key: sk-ds-literal-0123456789
  reasoning_effort: minimal
  temperature: 0.3
- model_id: glm
  model_name: glm-4.6
  api_base: https://api.z.ai/api/anthropic
  api_key: sk-zai-literal-0123456789
  direct: true
  extra_headers: { X-Team: a }
  can_stream: true
- model_id: codex
  api_base: https://chatgpt.com
  provider: codex
`;

Deno.test("anthropic-proxy's models.yaml: each model_id an alias with its settings as a variant", () => {
  const draft = convertTizee(parseYaml(MODELS));
  const yaml = renderConfigYaml(draft, "models.yaml");
  const config = configFromYaml({
    file: "c.yaml",
    env: Object.fromEntries(draft.secrets.map((s) => [s.name, s.value])),
    text: yaml,
  });
  // Two ids of one model on one provider, each with its own settings.
  const high = config.aliases["deepseek-high"]?.[0];
  assert.equal(formatTarget(high!), "deepseek/deepseek-reasoner");
  assert.deepEqual(high?.settings, {
    maxOutputTokens: 8000,
    contextWindow: 128000,
    reasoningEffort: "high",
  });
  const fast = config.aliases["deepseek-fast"]?.[0];
  assert.equal(fast?.provider, "deepseek");
  assert.deepEqual(fast?.settings, { thinking: "off", extraBody: { temperature: 0.3 } });
  assert.equal(config.providers.deepseek?.baseUrl, "https://api.deepseek.com/v1");
  assert.equal(config.providers.deepseek?.type, "openai");
  assert.equal(config.providers.z?.type, "anthropic");
  // direct: true is the Anthropic API.
  assert.equal(config.providers.z?.baseUrl, "https://api.z.ai/api/anthropic");
  assert.deepEqual(config.providers.z?.headers, { "X-Team": "a" });
  const r = resolveRoute({ request: { model: "claude-sonnet-4-5" } }, config);
  assert.deepEqual(r.chain.map(formatTarget), ["deepseek/deepseek-reasoner"]);
  assert.equal(r.chain[0]?.settings?.reasoningEffort, "high");
  assert.ok(!yaml.includes("sk-ds-literal"));
  assert.match(renderDotenv(draft, "models.yaml"), /^DEEPSEEK_API_KEY=sk-ds-literal-0123456789$/m);
  const notes = draft.notCarried.join("\n");
  assert.match(notes, /entry 4 \(codex\): provider codex is a login ccp does not have/);
  assert.doesNotMatch(notes, /can_stream/);
});

Deno.test("a file that is no models.yaml is refused with why", () => {
  assert.throws(() => convertTizee({ server: 1 }), TizeeError);
  assert.throws(
    () => convertTizee([{ model_id: "x", api_base: "https://h", provider: "gemini" }]),
    /no entry could be converted/,
  );
});
