import assert from "node:assert/strict";
import { CcrError, convertCcr, type Draft } from "../../src/config/ccr/convert.ts";
import { parseJsonc } from "../../src/config/ccr/jsonc.ts";
import { renderConfigYaml, renderDotenv } from "../../src/config/ccr/render.ts";
import { ccpText } from "../../src/config/ccr/text.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";

/** A claude-code-router config as its users write them: several providers, options, both key kinds. */
const CCR = {
  APIKEY: "ccr-secret-token",
  HOST: "0.0.0.0",
  PORT: 3456,
  LOG: true,
  LOG_LEVEL: "trace",
  API_TIMEOUT_MS: 600000,
  PROXY_URL: "http://127.0.0.1:7890",
  NON_INTERACTIVE_MODE: false,
  CUSTOM_ROUTER_PATH: "/home/me/.claude-code-router/router.js",
  Providers: [
    {
      name: "openrouter",
      api_base_url: "https://openrouter.ai/api/v1/chat/completions",
      api_key: "sk-or-v1-0123456789abcdef",
      models: ["anthropic/claude-sonnet-4", "moonshotai/kimi-k2", "google/gemini-2.5-pro-preview"],
      transformer: {
        use: [["openrouter", { provider: { only: ["moonshotai/fp8"] } }]],
        "moonshotai/kimi-k2": { use: [["maxtoken", { max_tokens: 16384 }]] },
      },
    },
    {
      name: "DeepSeek",
      api_base_url: "https://api.deepseek.com/chat/completions",
      api_key: "$DEEPSEEK_API_KEY",
      models: ["deepseek-chat", "deepseek-reasoner"],
      transformer: {
        use: ["deepseek", "reasoning"],
        "deepseek-chat": { use: ["tooluse", ["reasoning", { enable: false }]] },
        "deepseek-reasoner": { use: [["maxtoken", { max_tokens: 65536 }], "forcereasoning"] },
      },
    },
    {
      name: "gemini",
      api_base_url: "https://generativelanguage.googleapis.com/v1beta/models/",
      api_key: "${GEMINI_API_KEY}",
      models: ["gemini-2.5-flash", "gemini-2.5-pro"],
      transformer: { use: ["gemini"] },
    },
    {
      name: "ollama",
      api_base_url: "http://localhost:11434/v1/chat/completions",
      api_key: "ollama",
      models: ["qwen2.5-coder:latest"],
    },
    {
      name: "modelscope",
      api_base_url: "https://api-inference.modelscope.cn/v1/chat/completions",
      api_key: "ms-literal-key",
      models: ["Qwen/Qwen3-Coder-480B-A35B-Instruct"],
      transformer: { use: [["maxtoken", { max_tokens: 65536 }], "enhancetool", "my-plugin"] },
    },
    {
      name: "vertex",
      api_base_url: "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/x",
      api_key: "",
      models: ["gemini-2.5-pro"],
      transformer: { use: ["vertex-gemini"] },
    },
  ],
  Router: {
    default: "deepseek,deepseek-chat",
    background: "ollama,qwen2.5-coder:latest",
    think: "deepseek,deepseek-reasoner",
    longContext: "openrouter,google/gemini-2.5-pro-preview",
    longContextThreshold: 100000,
    webSearch: "gemini,gemini-2.5-flash",
    image: "vertex,gemini-2.5-pro",
  },
};

function provider(draft: Draft, id: string) {
  const found = draft.providers.find((p) => p.id === id);
  assert.ok(found, `no provider ${id}`);
  return { ...found, field: (k: string) => found.fields.find(([key]) => key === k)?.[1] };
}

/** Loads the rendered YAML as ccp would, with the .env's secrets and the referenced variables set. */
function load(draft: Draft, env: Record<string, string> = {}) {
  const secrets = Object.fromEntries(draft.secrets.map((s) => [s.name, s.value]));
  return configFromYaml({
    text: renderConfigYaml(draft, "/home/me/.claude-code-router/config.json"),
    file: "config.yaml",
    env: { ...secrets, ...env },
  });
}

Deno.test("ccr: known hosts become ccp presets, other URLs an API root with a type", () => {
  const draft = convertCcr(CCR);
  assert.equal(provider(draft, "openrouter").field("preset"), "open_router");
  assert.equal(provider(draft, "openrouter").field("base_url"), undefined);
  assert.equal(provider(draft, "DeepSeek").field("preset"), "deepseek");
  assert.equal(provider(draft, "gemini").field("preset"), "gemini");
  // Ollama at another loopback name keeps its address, at the server root ccp's preset speaks.
  assert.equal(provider(draft, "ollama").field("preset"), "ollama");
  assert.equal(provider(draft, "ollama").field("base_url"), "http://localhost:11434");
  const ms = provider(draft, "modelscope");
  assert.equal(ms.field("type"), "openai");
  assert.equal(ms.field("base_url"), "https://api-inference.modelscope.cn/v1");
  assert.deepEqual(ms.field("models"), ["Qwen/Qwen3-Coder-480B-A35B-Instruct"]);
  // Vertex AI has no ccp provider: left out, and so is the route to it.
  assert.ok(!draft.providers.some((p) => p.id === "vertex"));
  assert.ok(draft.notCarried.some((n) => /vertex-gemini: ccp has no Vertex AI/.test(n)));
  assert.ok(draft.notCarried.some((n) => /Router\.image .*its provider was left out/.test(n)));
});

Deno.test("ccr: $VAR keys stay references; literal keys move to .env and never into the YAML", () => {
  const draft = convertCcr(CCR);
  assert.equal(provider(draft, "DeepSeek").field("api_key"), "${DEEPSEEK_API_KEY}");
  assert.equal(provider(draft, "gemini").field("api_key"), "${GEMINI_API_KEY}");
  assert.equal(provider(draft, "openrouter").field("api_key"), "${OPENROUTER_API_KEY}");
  assert.equal(provider(draft, "modelscope").field("api_key"), "${MODELSCOPE_API_KEY}");
  // Ollama takes no key: CCR's placeholder is dropped rather than stored.
  assert.equal(provider(draft, "ollama").field("api_key"), undefined);
  assert.deepEqual(draft.secrets, [
    { name: "CCP_AUTH_TOKEN", value: "ccr-secret-token" },
    { name: "OPENROUTER_API_KEY", value: "sk-or-v1-0123456789abcdef" },
    { name: "MODELSCOPE_API_KEY", value: "ms-literal-key" },
  ]);
  assert.deepEqual(draft.envRefs, ["DEEPSEEK_API_KEY", "GEMINI_API_KEY"]);
  const yaml = renderConfigYaml(draft, "config.json");
  for (const s of draft.secrets) assert.ok(!yaml.includes(s.value), `${s.name} leaked`);
  const dotenv = renderDotenv(draft, "config.json");
  assert.match(dotenv, /^OPENROUTER_API_KEY=sk-or-v1-0123456789abcdef$/m);
  assert.match(dotenv, /^# DEEPSEEK_API_KEY=$/m);
});

Deno.test("ccr: transformers become model_settings, or a note saying what ccp does instead", () => {
  const draft = convertCcr(CCR);
  assert.deepEqual(provider(draft, "openrouter").modelSettings, {
    "*": { extra_body: { provider: { only: ["moonshotai/fp8"] } } },
    "moonshotai/kimi-k2": { max_output_tokens: 16384 },
  });
  assert.deepEqual(provider(draft, "DeepSeek").modelSettings, {
    "deepseek-chat": { thinking: "off" },
    "deepseek-reasoner": { max_output_tokens: 65536 },
  });
  assert.ok(provider(draft, "DeepSeek").comments.some((c) => /^reasoning: done by ccp/.test(c)));
  assert.deepEqual(provider(draft, "modelscope").modelSettings, {
    "*": { max_output_tokens: 65536 },
  });
  const notes = draft.notCarried.join("\n");
  assert.match(notes, /DeepSeek \(deepseek-chat\): transformer tooluse/);
  assert.match(notes, /modelscope: transformer enhancetool/);
  assert.match(notes, /modelscope: transformer my-plugin: unknown to ccp/);
  assert.match(notes, /DeepSeek \(deepseek-reasoner\): transformer forcereasoning: .*thinking: on/);
  assert.ok(provider(draft, "DeepSeek").comments.some((c) => /^deepseek: done by/.test(c)));
});

Deno.test("ccr: OpenRouter's referer, title and providerOrder options become headers and a body field", () => {
  const draft = convertCcr({
    Providers: [{
      name: "or",
      api_base_url: "https://openrouter.ai/api/v1/chat/completions",
      api_key: "$OR_KEY",
      models: ["z-ai/glm-4.6"],
      transformer: {
        use: [["openrouter", {
          referer: "https://me.example",
          title: "me",
          providerOrder: ["z-ai"],
        }]],
      },
    }],
    Router: { default: "or,z-ai/glm-4.6" },
  });
  const or = provider(draft, "or");
  assert.deepEqual(or.field("headers"), { "HTTP-Referer": "https://me.example", "X-Title": "me" });
  assert.deepEqual(or.modelSettings, { "*": { extra_body: { provider: { order: ["z-ai"] } } } });
  const config = load(draft, { OR_KEY: "k" });
  assert.equal(config.providers.or?.headers?.["X-Title"], "me");
});

Deno.test("ccr: Router entries become routes; background is the haiku tier", () => {
  const draft = convertCcr(CCR);
  assert.deepEqual(draft.routes.map((r) => [r.name, r.targets]), [
    ["default", ["DeepSeek/deepseek-chat"]],
    ["haiku", ["ollama/qwen2.5-coder:latest"]],
    ["think", ["DeepSeek/deepseek-reasoner"]],
    ["long_context", ["openrouter/google/gemini-2.5-pro-preview"]],
    ["web_search", ["gemini/gemini-2.5-flash"]],
  ]);
  assert.deepEqual(draft.routing, [["long_context_threshold", 100000]]);
});

Deno.test("ccr: server keys, proxy and timeout; unread keys are listed", () => {
  const draft = convertCcr(CCR);
  assert.deepEqual(draft.server, [
    ["host", "0.0.0.0"],
    ["port", 3456],
    ["auth_token", "${CCP_AUTH_TOKEN}"],
    ["log_level", "debug"],
  ]);
  assert.deepEqual(draft.providerDefaults, [["timeouts", { first_byte: "600s" }]]);
  assert.equal(provider(draft, "openrouter").field("proxy"), "http://127.0.0.1:7890");
  // A server on this machine is not reached through the proxy.
  assert.equal(provider(draft, "ollama").field("proxy"), undefined);
  const notes = draft.notCarried.join("\n");
  assert.match(notes, /CUSTOM_ROUTER_PATH: ccp runs no router scripts/);
  // LOG: true and NON_INTERACTIVE_MODE: false ask for nothing ccp lacks.
  assert.doesNotMatch(notes, /^LOG:|NON_INTERACTIVE_MODE/m);
});

Deno.test("ccr: the rendered config loads as ccp reads it, with every route and setting", () => {
  const config = load(convertCcr(CCR), { DEEPSEEK_API_KEY: "d", GEMINI_API_KEY: "g" });
  assert.equal(config.server.host, "0.0.0.0");
  assert.equal(config.server.port, 3456);
  assert.equal(config.server.authToken, "ccr-secret-token");
  assert.deepEqual(Object.keys(config.routes), [
    "default",
    "haiku",
    "think",
    "long_context",
    "web_search",
  ]);
  assert.equal(config.routing?.longContextThreshold, 100000);
  const or = config.providers.openrouter!;
  assert.equal(or.type, "anthropic");
  assert.deepEqual(or.apiKeys, ["sk-or-v1-0123456789abcdef"]);
  assert.equal(or.proxy, "http://127.0.0.1:7890");
  assert.equal(or.timeouts.firstByteMs, 600_000);
  assert.deepEqual(or.modelSettings?.["moonshotai/kimi-k2"]?.maxOutputTokens, 16384);
  assert.equal(config.providers.ollama!.baseUrl, "http://localhost:11434");
  assert.equal(config.providers.modelscope!.type, "openai");
});

Deno.test("ccr: without APIKEY a non-loopback HOST is dropped, as CCR itself did", () => {
  const draft = convertCcr({ ...CCR, APIKEY: undefined });
  assert.ok(!draft.server.some(([k]) => k === "host" || k === "auth_token"));
  assert.ok(draft.notCarried.some((n) => /HOST 0\.0\.0\.0: without APIKEY/.test(n)));
  load(draft, {});
});

Deno.test("ccr: no Router.default falls back to the first provider's first model", () => {
  const draft = convertCcr({ Providers: [CCR.Providers[2]], Router: {} });
  assert.deepEqual(draft.routes[0]?.targets, ["gemini/gemini-2.5-flash"]);
  load(draft);
});

Deno.test("ccr: odd names, unknown providers and bad Router values are reported, not written", () => {
  const draft = convertCcr({
    Providers: [
      {
        name: "my provider",
        api_base_url: "http://10.0.0.5:8000/v1/chat/completions",
        models: ["m"],
      },
      { name: "null", api_base_url: "https://x.example/v1/messages", api_key: "$X", models: ["n"] },
      { api_base_url: "https://nameless.example/v1/chat/completions" },
      // A line break in a name must not end the comment it is quoted in.
      { name: "lan\nollama: x", api_base_url: "http://192.168.1.20:11434/v1/chat/completions" },
    ],
    Router: {
      default: "My Provider,m",
      background: "nope,x",
      think: "no-comma",
      webSearch: "",
      somethingElse: "null,n",
    },
  });
  assert.deepEqual(draft.providers.map((p) => p.id), ["my_provider", "null", "lan_ollama__x"]);
  // Ollama's port names it on another machine too; its address is kept.
  assert.equal(provider(draft, "lan_ollama__x").field("preset"), "ollama");
  assert.equal(provider(draft, "lan_ollama__x").field("base_url"), "http://192.168.1.20:11434");
  assert.ok(renderConfigYaml(draft, "c.json").includes("# CCR lan ollama: x: http://192.168.1.20"));
  assert.equal(provider(draft, "null").field("type"), "anthropic");
  assert.equal(provider(draft, "null").field("base_url"), "https://x.example/v1");
  assert.deepEqual(draft.routes.map((r) => r.targets), [["my_provider/m"]]);
  const notes = draft.notCarried.join("\n");
  assert.match(notes, /Providers\[2\]: needs a name and an api_base_url/);
  assert.match(notes, /Router\.background "nope,x": no provider named "nope"/);
  assert.match(notes, /Router\.think "no-comma": expected "provider,model"/);
  assert.match(notes, /Router\.somethingElse: no ccp route/);
  const config = load(draft, { X: "k" });
  assert.equal(config.providers.null?.baseUrl, "https://x.example/v1");
});

Deno.test("ccr: a file with no Providers list is not CCR v1; nothing usable is an error", () => {
  assert.throws(() => convertCcr([]), CcrError);
  assert.throws(() => convertCcr({ Router: {} }), /not a claude-code-router v1 config\.json/);
  assert.throws(
    () => convertCcr({ Providers: [CCR.Providers[5]] }),
    /no provider could be converted/,
  );
});

Deno.test("ccr: references and literal ${ in values; JSON with comments and trailing commas", () => {
  assert.equal(ccpText("$KEY"), "${KEY}");
  assert.equal(ccpText("${KEY}"), "${KEY}");
  assert.equal(ccpText("pre-${KEY}"), "pre-${KEY}");
  assert.equal(ccpText("a${1}b"), "a$${1}b");
  assert.equal(ccpText("sk-$notref"), "sk-$notref");
  const text = `{
    // IMPORTANT: api_base_url must be a complete (full) URL.
    "Providers": [{"name": "a", "api_base_url": "https://h/v1/chat/completions", /* x */},],
    "Router": {"default": "a,m // not a comment",},
  }`;
  assert.deepEqual(parseJsonc(text), {
    Providers: [{ name: "a", api_base_url: "https://h/v1/chat/completions" }],
    Router: { default: "a,m // not a comment" },
  });
  assert.throws(() => parseJsonc("{"), SyntaxError);
});
