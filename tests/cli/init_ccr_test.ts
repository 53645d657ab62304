import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { askThroughConfigFile } from "../helpers/ccp.ts";
import { chatCompletion } from "../helpers/chat_answer.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { childEnv, denoCacheDir, inTempDir, runCcp, testContext } from "./helpers.ts";

const MOCK_KEY = "sk-mock-literal-0123456789";
const TOKEN = "ccr-client-token-abcdef";

/** A CCR config: a Chat Completions server at `mockUrl` plus hosted providers with both key kinds. */
function ccrConfig(mockUrl: string): string {
  // CCR's README writes comments in config.json; its loader accepts them, so must ccp.
  return `{
  "APIKEY": "${TOKEN}",
  "LOG": true,
  "API_TIMEOUT_MS": 120000,
  "CUSTOM_ROUTER_PATH": "/somewhere/router.js",
  "Providers": [
    {
      "name": "local-llm",
      // IMPORTANT: api_base_url must be a complete (full) URL.
      "api_base_url": "${mockUrl}/chat/completions",
      "api_key": "${MOCK_KEY}",
      "models": ["coder"],
      "transformer": { "use": [["maxtoken", { "max_tokens": 1000 }], ["customparams", { "top_k": 20 }]] }
    },
    {
      "name": "deepseek",
      "api_base_url": "https://api.deepseek.com/chat/completions",
      "api_key": "$DEEPSEEK_API_KEY",
      "models": ["deepseek-chat", "deepseek-reasoner"],
      "transformer": { "use": ["deepseek"], "deepseek-chat": { "use": ["tooluse"] } }
    },
    {
      "name": "openrouter",
      "api_base_url": "https://openrouter.ai/api/v1/chat/completions",
      "api_key": "sk-or-v1-literal-9876543210",
      "models": ["moonshotai/kimi-k2"],
      "transformer": { "use": [["openrouter", { "provider": { "only": ["groq"] } }]] }
    }
  ],
  "Router": {
    "default": "local-llm,coder",
    "background": "local-llm,coder",
    "think": "deepseek,deepseek-reasoner",
    "longContext": "openrouter,moonshotai/kimi-k2",
  }
}`;
}

/** The environment of a spawned ccp whose home is inside `dir`, with deno's cache where it was. */
async function homeEnv(dir: string): Promise<Record<string, string>> {
  return childEnv(dir, {
    HOME: `${dir}/home`,
    USERPROFILE: `${dir}/home`,
    DENO_DIR: await denoCacheDir(),
  });
}

Deno.test("init --from ccr converts CCR's config.json, passes check, serves through it", async () => {
  const mock = startOpenAIMock({ json: chatCompletion({ content: "hi from the mock" }) });
  try {
    await inTempDir("ccp_init_ccr_", async (dir) => {
      await Deno.mkdir(`${dir}/home/.claude-code-router`, { recursive: true });
      await Deno.writeTextFile(`${dir}/home/.claude-code-router/config.json`, ccrConfig(mock.url));
      const env = await homeEnv(dir);
      const run = await runCcp(["init", "--from", "ccr"], { cwd: dir, env });
      assert.equal(run.code, 0, run.stderr);
      const configFile = `${dir}/xdg/ccp/config.yaml`;
      const envFile = `${dir}/xdg/ccp/.env`;
      assert.match(run.stdout, new RegExp(`Wrote ${configFile}\n`));
      assert.match(run.stdout, new RegExp(`Wrote ${envFile} \\(mode 600\\)`));
      assert.match(run.stdout, /Read from the environment, as CCR did: DEEPSEEK_API_KEY/);
      assert.match(run.stdout, /Not carried over[^\n]*\n(.*\n)*.*CUSTOM_ROUTER_PATH/);
      assert.match(run.stdout, /transformer tooluse/);
      assert.match(run.stdout, /1\. deno task start check /);
      // Keys are moved, never shown.
      for (const secret of [MOCK_KEY, TOKEN, "sk-or-v1-literal-9876543210"]) {
        assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), secret);
        assert.ok(!(await Deno.readTextFile(configFile)).includes(secret), secret);
        assert.ok((await Deno.readTextFile(envFile)).includes(secret), secret);
      }
      if (Deno.build.os !== "windows") {
        assert.equal((await Deno.stat(envFile)).mode! & 0o777, 0o600);
      }
      const yaml = await Deno.readTextFile(configFile);
      assert.match(yaml, /^# Not carried over:$/m);
      assert.match(yaml, /^ {2}haiku: "local-llm\/coder"$/m);

      // The key CCR read from the environment is read through \${DEEPSEEK_API_KEY}: unset, the
      // route that needs it fails the check.
      const unkeyed = await runCcp(["check"], { cwd: dir, env });
      assert.equal(unkeyed.code, 1, unkeyed.stderr + unkeyed.stdout);
      assert.match(
        unkeyed.stderr,
        /providers\.deepseek: no API key, needed by route think \(deepseek\/deepseek-reasoner\): set DEEPSEEK_API_KEY/,
      );
      const keyed = { ...env, DEEPSEEK_API_KEY: "sk-deepseek-test-0123456789" };
      const check = await runCcp(["check"], { cwd: dir, env: keyed });
      assert.equal(check.code, 0, check.stderr + check.stdout);
      assert.match(check.stdout, /Config OK/);
      assert.match(check.stdout, /think → deepseek\/deepseek-reasoner/);
      assert.match(check.stdout, /long_context → openrouter\/moonshotai\/kimi-k2/);

      // A second run leaves both files as they are and says so.
      const again = await runCcp(["init", "--from", "ccr"], { cwd: dir, env });
      assert.equal(again.code, 1);
      assert.match(again.stdout, new RegExp(`${configFile} exists, left alone`));
      assert.match(again.stderr, /nothing converted/);
      assert.equal(await Deno.readTextFile(configFile), yaml);

      // One request through the converted config reaches the upstream as CCR would have sent it.
      const res = await askThroughConfigFile(configFile, dir, TOKEN, {
        model: "claude-sonnet-4-5",
        max_tokens: 32000,
        messages: [{ role: "user", content: "hello" }],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(JSON.parse(res.text).content[0].text, "hi from the mock");
      const sent = mock.requests[0]!;
      assert.equal(sent.headers.get("authorization"), `Bearer ${MOCK_KEY}`);
      assert.equal(sent.body.model, "coder");
      assert.equal(sent.body.max_tokens ?? sent.body.max_completion_tokens, 1000);
      assert.equal(sent.body.top_k, 20);
    });
  } finally {
    await mock.close();
  }
});

Deno.test("init --from ccr: a missing or invalid file is named, exit 1, nothing written", async () => {
  await inTempDir("ccp_init_ccr_", async (dir) => {
    const missing = testContext(dir);
    assert.equal(await runCli(["init", "--from", "ccr"], missing), 1);
    assert.match(
      missing.io.stderr.join("\n"),
      new RegExp(`${dir}/\\.claude-code-router/config\\.json: no such file`),
    );
    await Deno.writeTextFile(`${dir}/bad.json`, '{"Providers": [');
    const bad = testContext(dir);
    assert.equal(await runCli(["init", "--from", "ccr", "--from-file", "bad.json"], bad), 1);
    assert.match(bad.io.stderr.join("\n"), new RegExp(`${dir}/bad\\.json: not valid JSON`));
    await Deno.writeTextFile(`${dir}/v2.json`, '{"Router": {}}');
    const v2 = testContext(dir);
    assert.equal(await runCli(["init", "--from", "ccr", "--from-file", "v2.json"], v2), 1);
    assert.match(v2.io.stderr.join("\n"), /v2\.json: no Providers list/);
    await assert.rejects(Deno.stat(`${dir}/xdg/ccp/config.yaml`), Deno.errors.NotFound);
  });
});

Deno.test("init --from ccr with an existing .env writes the config and names the keys to add", async () => {
  await inTempDir("ccp_init_ccr_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.writeTextFile(`${dir}/xdg/ccp/.env`, "MINE=1\n");
    await Deno.writeTextFile(`${dir}/ccr.json`, ccrConfig("http://127.0.0.1:9/v1"));
    const ctx = testContext(dir, { standalone: true });
    assert.equal(await runCli(["init", "--from", "ccr", "--from-file", "ccr.json"], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /\.env exists, left alone/);
    assert.match(out, /add CCP_AUTH_TOKEN, LOCAL_LLM_API_KEY, OPENROUTER_API_KEY to it/);
    assert.ok(!out.includes(MOCK_KEY));
    assert.match(out, /1\. ccp check /);
    assert.equal(await Deno.readTextFile(`${dir}/xdg/ccp/.env`), "MINE=1\n");
  });
});
