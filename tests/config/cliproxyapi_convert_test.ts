import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { CliProxyApiError, convertCliProxyApi } from "../../src/config/cliproxyapi/convert.ts";
import { renderConfigYaml, renderDotenv } from "../../src/config/ccr/render.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { formatTarget } from "../../src/routing/target_text.ts";

/** A CLIProxyAPI config with API-key credentials beside its OAuth accounts. */
const CPA = `
port: 8317
host: ""
auth-dir: "~/.cli-proxy-api"
api-keys: ["client-key-0123456789abcdef", "second-client-key"]
proxy-url: "socks5://127.0.0.1:1080"
request-retry: 3
routing: { strategy: round-robin }
claude-api-key:
  - api-key: sk-ant-first-0123456789
  - api-key: sk-ant-second-0123456789
gemini-api-key:
  - api-key: AIza-literal-0123456789
    proxy-url: direct
    models: [{ name: gemini-2.5-pro, alias: gpro }]
    excluded-models: ["*-preview"]
openai-compatibility:
  - name: openrouter
    base-url: https://openrouter.ai/api/v1
    api-key-entries: [{ api-key: sk-or-0123456789 }]
    models: [{ name: moonshotai/kimi-k2, alias: kimi-k2 }]
payload: { default: [] }
debug: true
`;

Deno.test("CLIProxyAPI key credentials become providers, model names and aliases become aliases", () => {
  const draft = convertCliProxyApi(parseYaml(CPA));
  const yaml = renderConfigYaml(draft, "config.yaml");
  const config = configFromYaml({
    file: "c.yaml",
    env: Object.fromEntries(draft.secrets.map((s) => [s.name, s.value])),
    text: yaml,
  });
  // Both Claude keys on one provider, taken in turn as round-robin did; Claude names pass through.
  assert.deepEqual(config.providers.anthropic?.apiKeys, [
    "sk-ant-first-0123456789",
    "sk-ant-second-0123456789",
  ]);
  assert.equal(config.providers.anthropic?.keyStrategy, "round_robin");
  assert.equal(config.providers.anthropic?.keyUsageLimit, 0);
  assert.equal(config.providers.anthropic?.proxy, "socks5://127.0.0.1:1080");
  const r = resolveRoute({ request: { model: "claude-opus-4-5" } }, config);
  assert.deepEqual(r.chain.map(formatTarget), ["anthropic/claude-opus-4-5"]);
  // `direct` is no proxy; a listed model answers to its name and its alias.
  assert.equal(config.providers.gemini?.proxy, undefined);
  assert.deepEqual(config.aliases.gpro?.map(formatTarget), ["gemini/gemini-2.5-pro"]);
  assert.deepEqual(config.aliases["gemini-2.5-pro"]?.map(formatTarget), ["gemini/gemini-2.5-pro"]);
  assert.equal(config.providers.openrouter?.baseUrl, "https://openrouter.ai/api/v1");
  assert.deepEqual(config.aliases["kimi-k2"]?.map(formatTarget), ["openrouter/moonshotai/kimi-k2"]);
  assert.equal(config.server.authToken, "client-key-0123456789abcdef");
  assert.equal(config.server.port, 8317);
  assert.equal(config.providers.gemini?.maxRetries, 3);
  // Keys only in the .env.
  for (const key of ["sk-ant-first", "AIza-literal", "client-key-0123"]) {
    assert.ok(!yaml.includes(key), key);
    assert.ok(renderDotenv(draft, "config.yaml").includes(key), key);
  }
  const notes = draft.notCarried.join("\n");
  for (
    const expected of [
      /auth-dir: its OAuth accounts cannot move/,
      /api-keys: 1 more client key/,
      /host: CLIProxyAPI listened on every address/,
      /gemini-api-key\[0\]\.excluded-models: not used by ccp/,
      /payload: model_settings\.extra_body/,
      /debug: --log-level debug/,
    ]
  ) assert.match(notes, expected);
});

/** Two credentials serve one model; one more key on one of them. */
const SPREAD = (routing: string) => `
${routing}
gemini-api-key:
  - api-key: AIza-one-0123456789
    weight: 3
    models: [{ name: gemini-2.5-pro, alias: gpro }]
  - api-key: AIza-two-0123456789
    weight: 1
    models: [{ name: gemini-2.5-pro, alias: gpro }]
openai-compatibility:
  - name: relay
    base-url: https://relay.example/v1
    api-key-entries: [{ api-key: sk-relay-0123456789 }]
    models: [{ name: gemini-2.5-pro }]
`;

function load(text: string) {
  const draft = convertCliProxyApi(parseYaml(text));
  const config = configFromYaml({
    file: "c.yaml",
    env: Object.fromEntries(draft.secrets.map((s) => [s.name, s.value])),
    text: renderConfigYaml(draft, "config.yaml"),
  });
  return { draft, config };
}

Deno.test("CLIProxyAPI routing: round robin spreads keys and shared models; affinity carried", () => {
  const { config, draft } = load(
    SPREAD("routing: { session-affinity: true, session-affinity-ttl: 1h30m0s }"),
  );
  assert.equal(config.providers.gemini?.keyStrategy, "round_robin");
  // Each credential took its turn: two gemini keys, one relay key.
  assert.deepEqual(
    config.aliases["gemini-2.5-pro"]?.map((t) => [formatTarget(t), t.weight]),
    [["gemini/gemini-2.5-pro", 2], ["relay/gemini-2.5-pro", 1]],
  );
  assert.equal(config.aliases.gpro?.length, 1, "one target: nothing to spread");
  assert.equal(config.aliases.gpro?.[0]?.weight, undefined);
  assert.equal(config.routing?.sessionAffinityTtlMs, 90 * 60_000);
  assert.doesNotMatch(draft.notCarried.join("\n"), /weight|routing/);
});

Deno.test("CLIProxyAPI routing: weighted round robin sums weights; fill-first stays in order", () => {
  const weighted = load(SPREAD("routing: { strategy: weighted-round-robin }"));
  assert.deepEqual(weighted.config.aliases["gemini-2.5-pro"]?.map((t) => t.weight), [4, 1]);
  assert.equal(weighted.config.routing?.sessionAffinityTtlMs, undefined);
  assert.match(
    weighted.draft.notCarried.join("\n"),
    /gemini-api-key: weights of keys on one provider: ccp's round_robin gives each of its keys an equal turn/,
  );
  const fill = load(SPREAD("routing: { strategy: fill-first, session-affinity: true }"));
  assert.equal(fill.config.providers.gemini?.keyStrategy, undefined);
  assert.deepEqual(
    fill.config.aliases["gemini-2.5-pro"]?.map((t) => [formatTarget(t), t.weight]),
    [["gemini/gemini-2.5-pro", undefined], ["relay/gemini-2.5-pro", undefined]],
  );
  assert.equal(fill.config.routing?.sessionAffinityTtlMs, 3_600_000);
  const odd = load(
    SPREAD(
      "routing: { strategy: random, session-affinity: true, session-affinity-ttl: soon, x: 1 }",
    ),
  );
  const notes = odd.draft.notCarried.join("\n");
  assert.match(notes, /routing\.strategy: "random": ccp knows round-robin/);
  assert.match(notes, /routing\.session-affinity-ttl: "soon" is no duration/);
  assert.match(notes, /routing\.x: not used by ccp/);
});

Deno.test("a CLIProxyAPI config with only OAuth accounts is refused with why", () => {
  assert.throws(
    () => convertCliProxyApi({ port: 8317, "auth-dir": "~/.cli-proxy-api" }),
    (e: unknown) =>
      e instanceof CliProxyApiError && /OAuth accounts cannot be carried/.test(e.message),
  );
});
