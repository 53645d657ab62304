import assert from "node:assert/strict";
import { describeConfig } from "../../src/config/describe.ts";
import { configFromSources } from "../helpers/config.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { openPgStore } from "../../src/usage/pg_store.ts";

const LONG_KEY = "nvapi-0123456789abcdefWXYZ";
const SECOND_KEY = "sk-or-v1-9876543210fedcbaQRST";

const TEXT = `
server:
  auth_token: super-secret-token
providers:
  nim:
    preset: nvidia_nim
    api_keys: [${LONG_KEY}, ${SECOND_KEY}, short]
    proxy: http://user:proxy-password@proxy:3128
    headers: { X-Secret: header-secret-value }
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
routes:
  default: nim/z-ai/glm4.7
  sonnet: [local/qwen3-coder, nim/z-ai/glm4.7]
aliases:
  my-fast: local/qwen3-coder
`;

Deno.test("describeConfig hides a proxy's password, and a token written as its user name", () => {
  const proxies: Array<[string, string]> = [
    ["http://user:pw@proxy:3128", "proxy http://user:***@proxy:3128"],
    ["http://proxy:3128", "proxy http://proxy:3128"],
    ["http://proxy-token-0123456789@proxy:3128", "proxy http://***@proxy:3128"],
  ];
  for (const [proxy, shown] of proxies) {
    const text = describeConfig(configFromSources({
      flags: {},
      env: {},
      yaml: {
        text: `providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-0123, proxy: "${proxy}" }
routes: { default: up/m }
`,
        file: "c.yaml",
        path: "/etc/ccp/c.yaml",
      },
    }));
    assert.ok(text.includes(shown), text);
  }
});

Deno.test("describeConfig lists source, server, providers, routes and aliases without secrets", () => {
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: { text: TEXT, file: "c.yaml", path: "/etc/ccp/c.yaml" },
  });
  const text = describeConfig(config);
  assert.match(text, /Source: config file \/etc\/ccp\/c\.yaml/);
  assert.match(
    text,
    /Server: http:\/\/127\.0\.0\.1:8082; auth token set; log level info; max body 32MiB/,
  );
  assert.match(text, /nim {2}\[preset nvidia_nim\]/);
  assert.match(text, /openai at https:\/\/integrate\.api\.nvidia\.com\/v1/);
  assert.match(text, /keys: 3 \(…WXYZ, …QRST, …\)/);
  assert.match(text, /local {2}\[custom\]/);
  assert.doesNotMatch(text, /lmstudio/, "an unconfigured local preset does not exist");
  assert.match(text, /default → nim\/z-ai\/glm4\.7/);
  assert.match(text, /sonnet → local\/qwen3-coder → nim\/z-ai\/glm4\.7/);
  assert.match(text, /my-fast → local\/qwen3-coder/);
  assert.match(text, /headers X-Secret/);
  for (
    const secret of [
      LONG_KEY,
      SECOND_KEY,
      "short",
      "super-secret-token",
      "proxy-password",
      "header-secret-value",
    ]
  ) {
    assert.ok(!text.includes(secret), `leaked ${secret}`);
  }
  // Not even a key's first characters.
  assert.ok(!text.includes("nvapi-"));
});

Deno.test("describeConfig shows a provider's retry_delay beside its retries", () => {
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: {
      text: `providers:
  slow: { type: openai, base_url: "http://127.0.0.1:9/v1", retry_delay: { base: 2s, max: 2m } }
  halfway: { type: openai, base_url: "http://127.0.0.1:9/v1", retry_delay: { max: 10s } }
  plain: { type: openai, base_url: "http://127.0.0.1:9/v1" }
routes: { default: slow/m }
`,
      file: "c.yaml",
      path: "/tmp/c.yaml",
    },
  });
  const text = describeConfig(config);
  assert.match(text, /slow [^]*?retries 3 \(waiting up to 2s, doubling to 2m\); fallback on/);
  assert.match(text, /halfway [^]*?retries 3 \(waiting up to 1s, doubling to 10s\); fallback on/);
  assert.match(text, /plain [^]*?retries 3; fallback on/);
});

Deno.test("describeConfig hides credentials written into a base_url or a database URL", () => {
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: {
      text: `providers:
  gate:
    type: openai
    base_url: https://ccp:basic-auth-pw@llm.example.com/v1?api-key=query-key-1234&region=eu
  tok: { type: anthropic, base_url: "https://user-token-5678@gw.example.com" }
routes: { default: gate/m, haiku: tok/m }
shared: { postgres: "postgres://ccp@127.0.0.1/ccp?password=pg-secret-99&sslmode=disable" }
`,
      file: "c.yaml",
    },
  });
  const text = describeConfig(config);
  assert.match(
    text,
    /openai at https:\/\/ccp:\*\*\*@llm\.example\.com\/v1\?api-key=\*\*\*&region=eu/,
  );
  assert.match(text, /anthropic at https:\/\/\*\*\*@gw\.example\.com/);
  assert.match(text, /postgres:\/\/ccp@127\.0\.0\.1\/ccp\?password=\*\*\*&sslmode=disable/);
  // The ledger's own name for the database, which its warnings print.
  const store = openPgStore("postgres://ccp@127.0.0.1:1/ccp?password=pg-secret-99");
  assert.equal(store.description, "PostgreSQL at postgres://ccp@127.0.0.1:1/ccp?password=***");
  store.close();
  for (const secret of ["basic-auth-pw", "query-key-1234", "user-token-5678", "pg-secret-99"]) {
    assert.ok(!text.includes(secret), `leaked ${secret}`);
  }
});

Deno.test("describeConfig names environment-only and default sources, and shows warnings", () => {
  const env = describeConfig(configFromSources({ flags: {}, env: { MODEL: "nvidia_nim/m" } }));
  assert.match(env, /Source: environment variables/);
  assert.match(env, /Warnings:\n {2}- nvidia_nim has no API key/);
  const def = describeConfig(configFromSources({ flags: {}, env: {} }));
  assert.match(def, /Source: built-in default/);
  assert.match(def, /auth token not set/);
  assert.ok(!def.includes("Aliases:"));
});

Deno.test("describeConfig says a passthrough provider sends the client's own credentials as they came", () => {
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: {
      text: "providers:\n  claude: { preset: anthropic, auth: passthrough }\n" +
        "routes:\n  default: claude/claude-sonnet-4-5\n",
      file: "c.yaml",
      path: "/etc/ccp/c.yaml",
    },
  });
  const text = describeConfig(config);
  assert.match(text, /keys: client's own credentials, as sent \(passthrough: a Claude plan login/);
  // ccp attaches no key of its own there, so no auth header of its own is named.
  assert.doesNotMatch(text, /passthrough[^\n]*auth header/);
});

Deno.test("describeConfig's note on the think route names every effort that takes it", () => {
  // `xhigh` (between high and max) routes to `think` too; the note left it out.
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: {
      text: "routes: {default: ollama/a, think: ollama/b}\nrouting: {think_budget_tokens: 16000}",
      file: "c.yaml",
      path: "/etc/ccp/c.yaml",
    },
  });
  assert.match(
    describeConfig(config),
    /think → ollama\/b {3}\(scenario: effort high, xhigh or max, or a thinking budget of 16000\+ tokens\)/,
  );
});

Deno.test("describeConfig shows the key strategy, weighted routes and session affinity", async () => {
  const { configFromYaml } = await import("../../src/config/from_yaml.ts");
  const text = describeConfig(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  a: { type: anthropic, base_url: "http://127.0.0.1:9", api_keys: [k1, k2], key_strategy: round_robin }
  b: { type: anthropic, base_url: "http://127.0.0.1:9", api_keys: [j1, j2] }
routes:
  default: [{ target: a/m, weight: 3 }, b/m, { target: b/x, weight: 0 }]
  opus: [a/m, b/m]
routing: { session_affinity: true, session_affinity_ttl: 30m }
`,
  }));
  assert.match(text, /keys: 2 \(…, …\), round robin; auth header/);
  assert.match(text, /keys: 2 \(…, …\), fill first; auth header/);
  assert.match(
    text,
    /default → spread by weight: a\/m \(3\) \| b\/m \(1\) \| b\/x \(failover only\)/,
  );
  assert.match(text, /opus → a\/m → b\/m/);
  assert.match(text, /Session affinity: on \(a session keeps its key and spread target for 30m/);
});

Deno.test("describeConfig: with clients only, the server line names their tokens, not an open ccp", () => {
  const text = (token: string) =>
    describeConfig(configFromYaml({
      file: "c.yaml",
      env: {},
      text: `server: { ${token} }
clients:
  - { name: alice, token: t-alice-0123456789 }
  - { name: bob, token: t-bob-0123456789 }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k }
routes: { default: up/m }
`,
    }));
  // Without it, the views of every client's requests answer no one: ccp check says so.
  assert.match(
    text(""),
    /Server: [^;]+; auth token not set \(every client.s token opens \/ui, \/metrics and \/v1\/ccp\/usage: set one to keep them to you\); 2 client tokens \(clients:\); log/,
  );
  assert.match(text("auth_token: t-admin-0123456789"), /auth token set, and 2 client tokens/);
  assert.doesNotMatch(text(""), /t-alice/);
});
