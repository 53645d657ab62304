import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";

function providers(text: string) {
  const env = {
    OPENROUTER_API_KEY: "sk-or-v1-0123456789",
    DEEPSEEK_API_KEY: "sk-0123456789abcdef",
  };
  return configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env }).providers;
}

Deno.test("a preset of the Anthropic protocol under type: openai gets its Chat Completions root", () => {
  const got = providers(`
providers:
  openrouter: { preset: open_router, type: openai, api_key: \${OPENROUTER_API_KEY} }
  deepseek: { preset: deepseek, type: openai, api_key: \${DEEPSEEK_API_KEY} }
  ollama: { preset: ollama, type: openai }
  zai: { preset: zai, type: openai, api_key: k-0123456789abcdef }
routes:
  default: [openrouter/moonshotai/kimi-k2, deepseek/deepseek-chat, ollama/qwen3, zai/glm-4.7]
`);
  // OpenRouter's Anthropic root is /api; its Chat Completions are under /api/v1.
  assert.equal(got.openrouter!.baseUrl, "https://openrouter.ai/api/v1");
  assert.equal(got.openrouter!.type, "openai");
  assert.equal(got.openrouter!.authHeader, "bearer");
  // DeepSeek's Chat API takes the key as a Bearer token, not as x-api-key.
  assert.equal(got.deepseek!.baseUrl, "https://api.deepseek.com");
  assert.equal(got.deepseek!.authHeader, "bearer");
  assert.equal(got.ollama!.baseUrl, "http://127.0.0.1:11434/v1");
  assert.equal(got.zai!.baseUrl, "https://api.z.ai/api/paas/v4");
});

Deno.test("a base_url written beside type: openai wins, and the preset's own type keeps its root", () => {
  const got = providers(`
providers:
  mine: { preset: open_router, type: openai, base_url: "http://127.0.0.1:9/or/v1", api_key: k-0123456789abc }
  native: { preset: open_router, api_key: \${OPENROUTER_API_KEY} }
  ds: { preset: deepseek, api_key: \${DEEPSEEK_API_KEY} }
routes:
  default: [mine/m, native/m, ds/deepseek-chat]
`);
  assert.equal(got.mine!.baseUrl, "http://127.0.0.1:9/or/v1");
  assert.equal(got.native!.baseUrl, "https://openrouter.ai/api");
  assert.equal(got.native!.type, "anthropic");
  assert.equal(got.ds!.baseUrl, "https://api.deepseek.com/anthropic");
  assert.equal(got.ds!.authHeader, "x-api-key");
});
