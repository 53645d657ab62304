import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { askThroughConfigFile } from "../helpers/ccp.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { inTempDir, testContext } from "./helpers.ts";

const CLIENT_KEY = "cpa-client-key-0123456789";
const CLAUDE_KEY = "sk-ant-cpa-literal-abcdef";

Deno.test("init --from cliproxyapi: its Claude key serves Claude Code's own model names", async () => {
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 2) }]);
  try {
    await inTempDir("ccp_init_cpa_", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/cpa.yaml`,
        `api-keys: ["${CLIENT_KEY}"]
auth-dir: "~/.cli-proxy-api"
claude-api-key:
  - api-key: ${CLAUDE_KEY}
    base-url: ${mock.url}
`,
      );
      const ctx = testContext(dir);
      const args = ["init", "--from", "cliproxyapi", "--from-file", "cpa.yaml"];
      assert.equal(await runCli(args, ctx), 0, ctx.io.stderr.join("\n"));
      const out = ctx.io.stdout.join("\n");
      assert.match(out, /auth-dir: its OAuth accounts cannot move/);
      assert.ok(!out.includes(CLAUDE_KEY) && !out.includes(CLIENT_KEY));
      const configFile = `${dir}/xdg/ccp/config.yaml`;
      const res = await askThroughConfigFile(configFile, dir, CLIENT_KEY, {
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200);
      const sent = mock.requests.at(-1)!;
      assert.equal(sent.body!.model, "claude-opus-4-5");
      assert.equal(sent.headers.get("x-api-key"), CLAUDE_KEY);
    });
  } finally {
    await mock.close();
  }
});
