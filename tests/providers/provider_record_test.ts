import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { ANTHROPIC_CLEANING, LOCAL_CLEANING } from "../../src/providers/cleaning_steps.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { cleaningFromSteps } from "../../src/upstream/cleaning/resolve.ts";

const YAML = `
providers:
  groq: { preset: groq, api_key: k }
  router: { preset: open_router, api_key: k }
  ollama_chat: { preset: ollama, type: openai, base_url: http://127.0.0.1:11434/v1 }
  generic: { type: openai, base_url: http://127.0.0.1:9999/v1 }
  claude: { type: anthropic, base_url: https://api.anthropic.com, api_key: k }
  local_a: { preset: lmstudio }
  local_b: { preset: llamacpp }
routes:
  default: generic/m
`;

Deno.test("a provider is one record: dialect and cleaning resolved when the config is built", async (t) => {
  const { providers } = configFromYaml({
    text: YAML,
    file: "config.yaml",
    path: "/abs/config.yaml",
    env: {},
  });
  await t.step("each preset brings its own dialect object", () => {
    assert.equal(providers.groq!.dialect, OPENAI_DIALECTS.groq);
    assert.equal(providers.router!.dialect, OPENAI_DIALECTS.openrouter);
  });
  await t.step("a preset switched to type: openai keeps the preset's dialect", () => {
    assert.equal(providers.ollama_chat!.type, "openai");
    assert.equal(providers.ollama_chat!.dialect, OPENAI_DIALECTS.local);
  });
  await t.step("no preset: the generic dialect, which asks for reasoning_effort", () => {
    assert.equal(providers.generic!.dialect, OPENAI_DIALECTS.openai_compatible);
    assert.equal(providers.generic!.dialect.reasoningSwitch.kind, "reasoning_effort");
  });
  await t.step("cleaning is compiled once per step list and shared", () => {
    assert.equal(providers.local_a!.cleaning, providers.local_b!.cleaning);
    assert.notEqual(providers.local_a!.cleaning, cleaningFromSteps(LOCAL_CLEANING));
    const betas = ["claude-code-20250219", "context-management-2025-06-27"];
    assert.deepEqual(providers.local_a!.cleaning.betas(betas), ["claude-code-20250219"]);
  });
  await t.step("a preset-less provider at api.anthropic.com gets the Anthropic cleaning", () => {
    const betas = ["context-management-2025-06-27", "future-2030-01-01"];
    assert.equal(providers.claude!.cleaning.betas(betas), betas, "every beta kept");
    assert.deepEqual(
      providers.claude!.cleaning.betas(betas),
      cleaningFromSteps(ANTHROPIC_CLEANING).betas(betas),
    );
  });
});
