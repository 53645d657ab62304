import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { convertLiteLlm, LiteLlmError } from "../../src/config/litellm/convert.ts";
import { renderConfigYaml, renderDotenv } from "../../src/config/ccr/render.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { formatTarget } from "../../src/routing/target_text.ts";
import type { Target } from "../../src/config/types.ts";

/** A LiteLLM proxy config as its users write one for Claude Code. */
const LITELLM = `
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: openai/gpt-5
      api_key: os.environ/OPENAI_API_KEY
      reasoning_effort: medium
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: openrouter/moonshotai/kimi-k2
      api_key: sk-or-v1-literal-0123456789
      max_tokens: 16384
      rpm: 60
  - model_name: claude-haiku-4-5
    litellm_params:
      model: groq/openai/gpt-oss-20b
      temperature: 0.2
  - model_name: local-coder
    litellm_params:
      model: ollama_chat/qwen3-coder
      api_base: http://gpu-box:11434
  - model_name: vllm-coder
    litellm_params:
      model: openai/Qwen/Qwen3-Coder-30B
      api_base: http://10.0.0.5:8000/v1
      api_key: none
      api_version: "2024-01"
  - model_name: openai/gpt-4o
    litellm_params:
      model: gpt-4o
  - model_name: azure-gpt
    litellm_params:
      model: azure/gpt-4o
      api_base: https://x.openai.azure.com
  - model_name: "anthropic/*"
    litellm_params:
      model: "anthropic/claude-*"
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  timeout: 600
  fallbacks: [{ "claude-sonnet-4-5": ["local-coder"] }, { "claude-haiku-4-5": ["nowhere"] }]
litellm_settings:
  drop_params: true
  context_window_fallbacks: [{ "claude-haiku-4-5": ["claude-sonnet-4-5"] }]
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
`;

Deno.test("LiteLLM model_list: each model_name an alias of its deployments, fallbacks after them", () => {
  const draft = convertLiteLlm(parseYaml(LITELLM));
  const yaml = renderConfigYaml(draft, "/srv/litellm/config.yaml");
  const config = configFromYaml({
    file: "c.yaml",
    env: { OPENAI_API_KEY: "sk-o", LITELLM_MASTER_KEY: "m".repeat(20), GROQ_API_KEY: "g" },
    text: yaml,
  });
  const chain = (name: string) => (config.aliases[name] ?? []).map(formatTarget);
  assert.deepEqual(chain("claude-sonnet-4-5"), [
    "openai/gpt-5",
    "open_router/moonshotai/kimi-k2",
    "ollama/qwen3-coder",
  ]);
  assert.deepEqual(chain("claude-haiku-4-5"), ["groq/openai/gpt-oss-20b"]);
  assert.deepEqual(chain("vllm-coder"), ["openai_compatible/Qwen/Qwen3-Coder-30B"]);
  // A bare model name goes to the provider LiteLLM would have picked; a slashed name is an alias.
  assert.deepEqual(chain("openai/gpt-4o"), ["openai/gpt-4o"]);
  // The first name is also where every other model name goes.
  assert.deepEqual(config.routes.default?.map(formatTarget), chain("claude-sonnet-4-5"));
  // A name with a tier word also takes Claude Code's other names of that tier (a newer version's).
  assert.deepEqual(config.routes.sonnet?.map(formatTarget), chain("claude-sonnet-4-5"));
  assert.deepEqual(config.routes.haiku?.map(formatTarget), chain("claude-haiku-4-5"));
  assert.equal(config.routes.opus, undefined);
  const newer = resolveRoute({ request: { model: "claude-haiku-5-0" } }, config);
  assert.deepEqual([newer.route, newer.chain.map(formatTarget)], [
    "haiku",
    chain("claude-haiku-4-5"),
  ]);
  assert.equal(config.server.authToken, "m".repeat(20));

  // Providers: the preset, its own key variable, a base URL only where it differs.
  assert.equal(config.providers.openai?.baseUrl, "https://api.openai.com/v1");
  assert.deepEqual(config.providers.openai?.apiKeys, ["sk-o"]);
  assert.equal(config.providers.openai_compatible?.baseUrl, "http://10.0.0.5:8000/v1");
  assert.match(yaml, /openai_compatible:\n {4}type: "openai"\n/);
  assert.equal(config.providers.ollama?.baseUrl, "http://gpu-box:11434");
  assert.deepEqual(config.providers.groq?.apiKeys, ["g"]);
  assert.deepEqual(config.providers.open_router?.rateLimit, { requests: 60, windowMs: 60_000 });
  assert.equal(config.providers.open_router?.maxRetries, 2);
  assert.equal(config.providers.open_router?.timeouts.totalMs, 600_000);
  const settings = (id: string, model: string) => config.providers[id]?.modelSettings?.[model];
  assert.equal(settings("open_router", "moonshotai/kimi-k2")?.maxOutputTokens, 16384);
  assert.equal(settings("openai", "gpt-5")?.reasoningEffort, "medium");
  assert.deepEqual(settings("groq", "openai/gpt-oss-20b")?.extraBody, { temperature: 0.2 });

  // Literal keys go to the .env, never into the YAML.
  assert.ok(!yaml.includes("sk-or-v1-literal"), yaml);
  const dotenv = renderDotenv(draft, "/srv/litellm/config.yaml");
  assert.match(dotenv, /^OPENROUTER_API_KEY=sk-or-v1-literal-0123456789$/m);
  assert.match(dotenv, /^# LITELLM_MASTER_KEY=$/m);
  assert.match(yaml, /^# by "ccp init --from litellm"/m);
});

Deno.test("LiteLLM keys ccp does not take are listed with what ccp does instead", () => {
  const notes = convertLiteLlm(parseYaml(LITELLM)).notCarried.join("\n");
  for (
    const expected of [
      /azure-gpt\) azure\/gpt-4o: LiteLLM provider "azure": ccp has no such provider/,
      /anthropic\/\*\): a wildcard model_name/,
      /vllm-coder\): litellm_params api_version: not used by ccp/,
      /router_settings\.fallbacks claude-haiku-4-5 → nowhere: no such model_name/,
      /litellm_settings\.context_window_fallbacks: a long_context route/,
      /litellm_settings\.drop_params: ccp removes what each provider refuses/,
    ]
  ) assert.match(notes, expected);
  // What was read is not listed.
  assert.doesNotMatch(
    notes,
    /num_retries|master_key|router_settings\.timeout|\brpm\b|routing_strategy|weight/,
  );
});

Deno.test("LiteLLM deployments of one name are spread by weight; fallbacks weigh 0", () => {
  const draft = convertLiteLlm(parseYaml(LITELLM.replace(
    "      reasoning_effort: medium\n",
    "      reasoning_effort: medium\n      weight: 3\n",
  )));
  const config = configFromYaml({
    file: "c.yaml",
    env: { OPENAI_API_KEY: "sk-o", LITELLM_MASTER_KEY: "m".repeat(20), GROQ_API_KEY: "g" },
    text: renderConfigYaml(draft, "config.yaml"),
  });
  const spread = (targets: readonly Target[] | undefined) =>
    targets?.map((t) => `${formatTarget(t)} ${t.weight}`);
  const expected = ["openai/gpt-5 3", "open_router/moonshotai/kimi-k2 1", "ollama/qwen3-coder 0"];
  assert.deepEqual(spread(config.aliases["claude-sonnet-4-5"]), expected);
  assert.deepEqual(spread(config.routes.default), expected);
  assert.deepEqual(spread(config.routes.sonnet), expected);
  // One deployment: an ordered chain as before.
  assert.deepEqual(spread(config.aliases["claude-haiku-4-5"]), [
    "groq/openai/gpt-oss-20b undefined",
  ]);
  // Sessions keep their deployment, or one Claude Code session would mix providers.
  assert.equal(config.routing?.sessionAffinityTtlMs, 3_600_000);

  const fractions = convertLiteLlm(parseYaml(
    LITELLM.replace(
      "      reasoning_effort: medium\n",
      "      reasoning_effort: medium\n      weight: 0.9\n",
    )
      .replace("      rpm: 60\n", "      rpm: 60\n      weight: 0.1\n"),
  ));
  assert.deepEqual(fractions.aliases?.[0]?.weights, [1000, 111, 0], "fractions keep their ratio");

  const other = convertLiteLlm(
    parseYaml(LITELLM.replace("simple-shuffle", "latency-based-routing")),
  );
  assert.match(
    other.notCarried.join("\n"),
    /routing_strategy: "latency-based-routing": ccp spreads a model's deployments by their weight/,
  );
});

Deno.test("LiteLLM wildcard entries become a default route that passes names through", () => {
  const draft = convertLiteLlm(parseYaml(`
model_list:
  - model_name: "*"
    litellm_params: { model: "anthropic/*", api_key: os.environ/ANTHROPIC_API_KEY }
  - model_name: "claude-*"
    litellm_params: { model: "anthropic/*", api_key: os.environ/ANTHROPIC_API_KEY }
  - model_name: "gpt-*"
    litellm_params: { model: "openai/gpt-*" }
  - model_name: fast
    litellm_params: { model: groq/openai/gpt-oss-20b }
`));
  const config = configFromYaml({
    file: "c.yaml",
    env: { ANTHROPIC_API_KEY: "a", GROQ_API_KEY: "g" },
    text: renderConfigYaml(draft, "config.yaml"),
  });
  const r = resolveRoute({ request: { model: "claude-opus-4-5" } }, config);
  assert.deepEqual([r.route, r.chain.map(formatTarget)], ["default", [
    "anthropic/claude-opus-4-5",
  ]]);
  assert.deepEqual(config.aliases.fast?.map(formatTarget), ["groq/openai/gpt-oss-20b"]);
  // A wildcard inside a model name has no ccp form.
  assert.match(draft.notCarried.join("\n"), /\(gpt-\*\): a wildcard model_name/);
});

Deno.test("a file that is no LiteLLM config is refused with why", () => {
  assert.throws(() => convertLiteLlm(["x"]), LiteLlmError);
  assert.throws(() => convertLiteLlm({ general_settings: {} }), /no model_list/);
  assert.throws(
    () =>
      convertLiteLlm({ model_list: [{ model_name: "a", litellm_params: { model: "bedrock/x" } }] }),
    /no model_list entry could be converted/,
  );
});

Deno.test("LiteLLM anthropic/ models: the provider runs Anthropic's server tools", () => {
  const draft = convertLiteLlm(parseYaml(`
model_list:
  - model_name: claude-opus
    litellm_params: { model: anthropic/claude-opus-4-5, api_key: os.environ/ANTHROPIC_API_KEY }
  - model_name: gateway-sonnet
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: https://llm-gateway.example.com/anthropic
      api_key: os.environ/GATEWAY_KEY
  - model_name: claude-haiku-4-5
    litellm_params: { model: claude-haiku-4-5 }
  - model_name: fast
    litellm_params: { model: groq/openai/gpt-oss-20b }
`));
  const text = renderConfigYaml(draft, "config.yaml");
  const config = configFromYaml({
    file: "c.yaml",
    env: { ANTHROPIC_API_KEY: "a", GATEWAY_KEY: "k", GROQ_API_KEY: "g" },
    text,
  });
  const serverTools = Object.fromEntries(
    Object.values(config.providers).map((p) => [p.id, p.serverTools]),
  );
  // Both Anthropic providers (the API's own and the gateway in front of it); not groq.
  assert.deepEqual(serverTools, { anthropic: true, anthropic_2: true, groq: undefined });
  assert.equal(text.match(/server_tools: true/g)?.length, 2);
});
