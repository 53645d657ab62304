import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { describeConfig } from "../../src/config/describe.ts";
import { settingsFor } from "../../src/config/settings_merge.ts";
import { dialectWithSettings } from "../../src/upstream/model_settings.ts";

const load = (text: string) => configFromYaml({ text, file: "config.yaml", env: {} });

const YAML = `
providers:
  ollama:
    preset: ollama
    type: openai
    base_url: http://127.0.0.1:11434/v1
    model_settings:
      qwen3: { text_tool_calls: false }
  other:
    type: openai
    base_url: http://127.0.0.1:9/v1
    api_key: k
    model_settings:
      "*": { text_tool_calls: true }
routes:
  default: ollama/qwen3
`;

Deno.test("model_settings text_tool_calls: parsed, layered over the dialect, shown", () => {
  const config = load(YAML);
  const ollama = config.providers.ollama!;
  const other = config.providers.other!;
  const dialect = (p: typeof ollama, model: string) =>
    dialectWithSettings(p.dialect, model, settingsFor(p, model)).textToolCalls;
  assert.equal(dialect(ollama, "llama3"), true, "on by default for a local preset");
  assert.equal(dialect(ollama, "qwen3"), false, "the model's setting wins");
  assert.equal(dialect(other, "m"), true, "a generic provider can turn it on");
  assert.equal(other.dialect.textToolCalls, false, "off by default elsewhere");
  assert.match(describeConfig(config), /model qwen3: text tool calls off/);
});

Deno.test("model_settings text_tool_calls must be a boolean", () => {
  assert.throws(
    () => load(YAML.replace("text_tool_calls: false", "text_tool_calls: sometimes")),
    (err) =>
      err instanceof ConfigError && /text_tool_calls: expected true or false/.test(err.message),
  );
});
