/**
 * The external contract's providers from outside: each preset speaks the wire protocol its list
 * puts it under, at the path its `base_url` rule gives; YAML keys beside `preset:` win; the
 * environment-only setup reads free-claude-code's variables; local presets need no key; a
 * provider that does not exist is refused, never sent anywhere.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { createServerApp } from "../../src/server/compose.ts";
import { childEnv, inTempDir, runCcp } from "../cli/helpers.ts";
import { PROMISED_PRESETS } from "../helpers/promised_presets.ts";
import { routeOf, startUpstream, TOKEN, type Upstream, withWorld } from "./_world.ts";

/** The path each protocol posts a Messages request to, below a root of `/root`. */
const PATHS: Record<string, (model: string, stream: boolean) => string> = {
  openai: () => "/root/chat/completions",
  openai_responses: () => "/root/responses",
  anthropic: () => "/root/v1/messages",
  gemini: (model, stream) =>
    `/root/v1beta/models/${model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
};

Deno.test("presets: each one speaks its protocol at its base_url, which YAML beside preset: overrides", async (t) => {
  const entries = Object.entries(PROMISED_PRESETS).flatMap(([protocol, ids]) =>
    ids.map((id) => [protocol, id] as const)
  );
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }\nproviders:\n${
      entries.map(([, id]) =>
        `  p_${id}: { preset: ${id}, base_url: "${url}/root", api_key: sk-${id}-0123456789 }\n`
      ).join("")
    }routes:\n  default: p_openai/m\n`;
  await withWorld(yaml, async (w) => {
    for (const [protocol, id] of entries) {
      await t.step(`${id}: ${protocol}`, async () => {
        for (const stream of [false, true]) {
          const at = w.upstream.seen.length;
          const { res } = await w.ask({ model: `p_${id}/mod-el`, stream });
          assert.equal(res.headers.get("x-ccp-provider"), `p_${id}`);
          const seen = w.upstream.seen.slice(at);
          assert.ok(seen.length >= 1, "reached the upstream");
          assert.equal(`${seen[0]!.path}${seen[0]!.search}`, PATHS[protocol]!("mod-el", stream));
        }
      });
    }
  });
});

Deno.test("base_url: an anthropic root ending in /v1 gets only /messages; a gemini root ending in /v1beta keeps it", async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  a: { type: anthropic, base_url: "${url}/api/v1", api_key: sk-a-0123456789, count_tokens: true }
  g: { type: gemini, base_url: "${url}/g/v1beta", api_key: sk-g-0123456789 }
routes:
  default: a/m
`;
  await withWorld(yaml, async (w) => {
    await w.ask({ model: "a/m" });
    const counted = await w.ask({ model: "a/m" }, { path: "/v1/messages/count_tokens" });
    assert.deepEqual(counted.json, { input_tokens: 4242 }, "the upstream's own count");
    await w.ask({ model: "g/gm" });
    assert.deepEqual(w.upstream.seen.map((s) => s.path), [
      "/api/v1/messages",
      "/api/v1/messages/count_tokens",
      "/g/v1beta/models/gm:generateContent",
    ]);
  });
});

Deno.test("provider headers are sent upstream with each request", async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  up:
    type: openai
    base_url: "${url}/v1"
    api_key: sk-up-0123456789
    headers: { X-Extra: "1" }
routes:
  default: up/m
`;
  await withWorld(yaml, async (w) => {
    const { res } = await w.ask();
    assert.equal(res.status, 200);
    assert.equal(w.upstream.seen[0]!.headers.get("x-extra"), "1");
    assert.equal(w.upstream.seen[0]!.headers.get("authorization"), "Bearer sk-up-0123456789");
  });
});

Deno.test("type: openai without a preset sends reasoning_effort low|medium|high only when thinking is asked", async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  up: { type: openai, base_url: "${url}/v1", api_key: sk-up-0123456789 }
routes:
  default: up/m
`;
  await withWorld(yaml, async (w) => {
    await w.ask({ max_tokens: 40_000, thinking: { type: "enabled", budget_tokens: 30_000 } });
    await w.ask({ thinking: { type: "adaptive" }, output_config: { effort: "low" } });
    await w.ask({});
    const sent = w.upstream.seen.map((s) => s.body.reasoning_effort);
    assert.ok(["low", "medium", "high"].includes(sent[0] as string), `${sent[0]}`);
    assert.ok(["low", "medium", "high"].includes(sent[1] as string), `${sent[1]}`);
    assert.equal(sent[2], undefined);
  });
});

Deno.test("a model naming a provider or preset that is not configured: 400 naming it, never sent", async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  up: { type: anthropic, base_url: "${url}", api_key: sk-up-0123456789 }
routes:
  default: up/m
`;
  await withWorld(yaml, async (w) => {
    for (const model of ["groq/llama-3.3-70b", "ollama/qwen3-coder"]) {
      const { res, json } = await w.ask({ model });
      assert.equal(res.status, 400, model);
      const error = json.error as { type: string; message: string };
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, new RegExp(model.split("/")[0]!));
    }
    assert.equal(w.upstream.seen.length, 0);
  });
});

/** Serves ccp loaded as `ccp serve` loads it in `dir` with `env` and no YAML file. */
async function withEnvOnly(
  env: Record<string, string>,
  run: (
    ask: (body: Record<string, unknown>, token?: string) => Promise<Response>,
    up: Upstream,
  ) => Promise<void>,
): Promise<void> {
  const up = startUpstream();
  try {
    await inTempDir("ccp-spec-env-", async (dir) => {
      const filled = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replace("$UP", up.url)]),
      );
      const config = await loadConfig({
        flags: {},
        env: { ...filled, XDG_CONFIG_HOME: `${dir}/xdg` },
        cwd: dir,
        home: dir,
      });
      const log = createLogger({ level: "error", write: () => {}, colour: false });
      const app = createServerApp({ config: () => config, log });
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
      try {
        await run(
          (body, token = "env-token-0123456789") =>
            fetch(`http://127.0.0.1:${server.addr.port}/v1/messages`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-api-key": token },
              body: JSON.stringify({
                max_tokens: 10,
                messages: [{ role: "user", content: "hi" }],
                ...body,
              }),
            }),
          up,
        );
      } finally {
        await server.shutdown();
      }
    });
  } finally {
    await up.close();
  }
}

Deno.test("environment only: MODEL and MODEL_<TIER> routes, key and base-URL variables, ANTHROPIC_AUTH_TOKEN", async () => {
  await withEnvOnly({
    MODEL: "nvidia_nim/z-ai/glm4.7",
    MODEL_OPUS: "open_router/moonshotai/kimi-k2.5",
    MODEL_SONNET: "deepseek/deepseek-chat",
    MODEL_HAIKU: "nvidia_nim/small",
    NVIDIA_NIM_API_KEY: "nvapi-0123456789",
    NVIDIA_NIM_BASE_URL: "$UP/nim/v1",
    OPENROUTER_API_KEY: "sk-or-0123456789",
    OPENROUTER_BASE_URL: "$UP/or",
    DEEPSEEK_API_KEYS: "sk-ds-0000000001,sk-ds-0000000002",
    DEEPSEEK_BASE_URL: "$UP/ds",
    ANTHROPIC_AUTH_TOKEN: "env-token-0123456789",
  }, async (ask, up) => {
    const cases: Array<[string, [string, string, string], string, string]> = [
      ["gpt-4o", ["default", "nvidia_nim", "z-ai/glm4.7"], "/nim/v1/chat/completions", "nvapi"],
      [
        "claude-opus-4-1",
        ["opus", "open_router", "moonshotai/kimi-k2.5"],
        "/or/v1/messages",
        "sk-or",
      ],
      ["claude-sonnet-4-5", ["sonnet", "deepseek", "deepseek-chat"], "/ds/v1/messages", "sk-ds"],
      ["claude-haiku-4-5", ["haiku", "nvidia_nim", "small"], "/nim/v1/chat/completions", "nvapi"],
    ];
    for (const [model, route, path, key] of cases) {
      const res = await ask({ model });
      await res.body?.cancel();
      assert.equal(res.status, 200, model);
      assert.deepEqual(routeOf(res), route);
      const seen = up.seen.at(-1)!;
      assert.equal(seen.path, path);
      const sent = seen.headers.get("authorization") ?? seen.headers.get("x-api-key") ?? "";
      assert.match(sent, new RegExp(key));
    }
    const refused = await ask({ model: "gpt-4o" }, "another-token");
    assert.equal(refused.status, 401, "ANTHROPIC_AUTH_TOKEN is the token clients must send");
    await refused.body?.cancel();
  });
});

Deno.test("environment only: local presets need no key and are reachable when their base-URL variable is set", async () => {
  await withEnvOnly({
    MODEL: "vllm/served",
    VLLM_BASE_URL: "$UP/vllm",
    LM_STUDIO_BASE_URL: "$UP/lms",
    LLAMACPP_BASE_URL: "$UP/lcpp",
    OLLAMA_BASE_URL: "$UP/ollama",
    CLIPROXYAPI_BASE_URL: "$UP/cpa",
    ANTHROPIC_AUTH_TOKEN: "env-token-0123456789",
  }, async (ask, up) => {
    for (
      const [preset, root] of [["vllm", "/vllm"], ["lmstudio", "/lms"], ["llamacpp", "/lcpp"], [
        "ollama",
        "/ollama",
      ], ["cliproxyapi", "/cpa"]]
    ) {
      const res = await ask({ model: `${preset}/m` });
      await res.body?.cancel();
      assert.equal(res.status, 200, preset);
      assert.equal(res.headers.get("x-ccp-provider"), preset);
      assert.ok(up.seen.at(-1)!.path.startsWith(`${root}/`), `${preset}: ${up.seen.at(-1)!.path}`);
    }
  });
  await withEnvOnly({
    MODEL: "vllm/served",
    VLLM_BASE_URL: "$UP/vllm",
    ANTHROPIC_AUTH_TOKEN: "env-token-0123456789",
  }, async (ask, up) => {
    const res = await ask({ model: "lmstudio/m" });
    assert.equal(res.status, 400, "a local preset no variable names does not exist");
    assert.match((await res.json()).error.message, /lmstudio/);
    assert.equal(up.seen.length, 0);
  });
});

Deno.test("the local presets need no key: ccp check passes with none", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    for (const preset of ["lmstudio", "llamacpp", "ollama", "vllm", "cliproxyapi"]) {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:\n  l: { preset: ${preset} }\nroutes:\n  default: l/m\n`,
      );
      const run = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env: childEnv(dir) });
      assert.equal(run.code, 0, `${preset}: ${run.stderr}`);
      assert.match(run.stdout, /keys: none/);
    }
  });
});

Deno.test("openai_responses: max_output_tokens never below 16, tools sent with strict: false", async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  resp: { preset: openai_responses, base_url: "${url}/v1", api_key: sk-resp-0123456789 }
routes:
  default: resp/gpt-5-codex
`;
  await withWorld(yaml, async (w) => {
    const tool = {
      name: "Bash",
      description: "run a command",
      input_schema: { type: "object", properties: { command: { type: "string" } } },
    };
    // A model that reasons gets room for its reasoning on top; one that does not, the minimum.
    for (const model of ["resp/gpt-5-codex", "resp/gpt-4.1"]) {
      await w.ask({ model, max_tokens: 5, tools: [tool] });
    }
    const [codex, plain] = w.upstream.seen;
    for (const sent of [codex!, plain!]) {
      assert.equal(sent.path, "/v1/responses");
      assert.ok((sent.body.max_output_tokens as number) >= 16, `${sent.body.max_output_tokens}`);
      const tools = sent.body.tools as Array<Record<string, unknown>>;
      assert.equal(tools.length, 1);
      assert.equal(tools[0]!.name, "Bash");
      assert.equal(tools[0]!.strict, false);
    }
    assert.equal(plain!.body.max_output_tokens, 16);
  });
});

Deno.test('model_settings: "*" applies to every model of the provider, a model\'s own entry wins', async () => {
  const yaml = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  up:
    type: openai
    base_url: "${url}/v1"
    api_key: sk-up-0123456789
    model_settings:
      "*": { max_output_tokens: 1k }
      big: { max_output_tokens: 2k }
routes:
  default: up/any-model
`;
  await withWorld(yaml, async (w) => {
    await w.ask({ max_tokens: 50_000 });
    await w.ask({ model: "up/big", max_tokens: 50_000 });
    await w.ask({ model: "up/other", max_tokens: 500 });
    assert.deepEqual(w.upstream.seen.map((s) => s.body.max_tokens), [1000, 2000, 500]);
  });
});
