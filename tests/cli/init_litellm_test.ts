import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { askThroughConfigFile } from "../helpers/ccp.ts";
import { chatCompletion } from "../helpers/chat_answer.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { inTempDir, testContext } from "./helpers.ts";

const MASTER = "sk-litellm-master-0123456789";
const UPSTREAM_KEY = "sk-vllm-literal-abcdef";

Deno.test("init --from litellm converts a LiteLLM config.yaml and serves through it", async () => {
  const mock = startOpenAIMock({ json: chatCompletion({ content: "hi from the mock" }) });
  try {
    await inTempDir("ccp_init_litellm_", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/litellm.yaml`,
        `model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: openai/qwen3-coder
      api_base: ${mock.url}
      api_key: ${UPSTREAM_KEY}
      max_tokens: 1000
      temperature: 0.7
general_settings:
  master_key: ${MASTER}
`,
      );
      const ctx = testContext(dir);
      const args = ["init", "--from", "litellm", "--from-file", "litellm.yaml"];
      assert.equal(await runCli(args, ctx), 0, ctx.io.stderr.join("\n"));
      const out = ctx.io.stdout.join("\n");
      const configFile = `${dir}/xdg/ccp/config.yaml`;
      assert.match(out, new RegExp(`Wrote ${configFile}`));
      assert.match(out, /holding the literal keys as OPENAI_COMPATIBLE_API_KEY, CCP_AUTH_TOKEN/);
      for (const secret of [MASTER, UPSTREAM_KEY]) {
        assert.ok(!out.includes(secret), secret);
        assert.ok(!(await Deno.readTextFile(configFile)).includes(secret), secret);
      }

      const res = await askThroughConfigFile(configFile, dir, MASTER, {
        model: "claude-sonnet-4-5",
        max_tokens: 32000,
        messages: [{ role: "user", content: "hello" }],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get("x-ccp-route"), "alias:claude-sonnet-4-5");
      assert.equal(JSON.parse(res.text).content[0].text, "hi from the mock");
      const sent = mock.requests[0]!;
      assert.equal(sent.headers.get("authorization"), `Bearer ${UPSTREAM_KEY}`);
      assert.equal(sent.body.model, "qwen3-coder");
      assert.equal(sent.body.max_tokens ?? sent.body.max_completion_tokens, 1000);
      assert.equal(sent.body.temperature, 0.7);
    });
  } finally {
    await mock.close();
  }
});

Deno.test("init --from litellm needs --from-file, and names a file that is not LiteLLM's", async () => {
  await inTempDir("ccp_init_litellm_", async (dir) => {
    const none = testContext(dir);
    assert.equal(await runCli(["init", "--from", "litellm"], none), 1);
    assert.match(
      none.io.stderr.join("\n"),
      /LiteLLM's file has no fixed place: pass --from-file PATH/,
    );
    await Deno.writeTextFile(`${dir}/bad.yaml`, "model_list: [");
    const bad = testContext(dir);
    assert.equal(await runCli(["init", "--from", "litellm", "--from-file", "bad.yaml"], bad), 1);
    assert.match(bad.io.stderr.join("\n"), new RegExp(`${dir}/bad\\.yaml: not valid YAML`));
    await Deno.writeTextFile(`${dir}/other.yaml`, "server: {port: 1}\n");
    const other = testContext(dir);
    assert.equal(
      await runCli(["init", "--from", "litellm", "--from-file", "other.yaml"], other),
      1,
    );
    assert.match(other.io.stderr.join("\n"), /other\.yaml: no model_list/);
    await assert.rejects(Deno.stat(`${dir}/xdg/ccp/config.yaml`), Deno.errors.NotFound);
  });
});
