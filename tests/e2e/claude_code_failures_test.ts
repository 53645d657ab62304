/**
 * What the real Claude Code prints when something is wrong: ccp's own words, naming the
 * problem and the fix, where Claude Code would otherwise put its own generic message.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude } from "../helpers/claude.ts";
import { claudeWorkspace } from "../helpers/claude_print.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";

const claude = await findClaude();

/** Runs `claude -p hi --model <model>` against `url`; returns stdout and stderr together. */
async function printed(url: string, model: string): Promise<string> {
  const ws = await claudeWorkspace("ccp-cc-failures-");
  try {
    const out = await runClaude(
      ["-p", "hi", "--model", model],
      ws.work,
      claudeEnv(ws.home, url),
      60_000,
    );
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return decode(out.stdout) + decode(out.stderr);
  } finally {
    await ws.remove();
  }
}

Deno.test({
  name: "Claude Code prints what is wrong and what to do, not its own generic words",
  ignore: claude === undefined,
  async fn(t) {
    const spent = startFaultMock({
      script: () => ({
        kind: "status",
        status: 400,
        message: "Your credit balance is too low to access the Anthropic API. Please go to " +
          "Plans & Billing to upgrade or purchase credits.",
      }),
    });
    const ccp = startCcp(testConfig({
      providers: [provider("ant", { baseUrl: spent.url, apiKeys: ["sk-ant-spent-0001"] })],
      routes: { default: "ant/claude-sonnet-4-5" },
    }));
    try {
      await t.step("ANTHROPIC_BASE_URL ending in /v1: how to set it", async () => {
        // A 404 would read "There's an issue with the selected model … may not exist".
        const out = await printed(`${ccp.url}/v1`, "sonnet");
        assert.match(out, new RegExp(`API Error: 400 .*ANTHROPIC_BASE_URL=${ccp.url} `), out);
        assert.doesNotMatch(out, /issue with the selected model/);
      });
      await t.step(
        "an upstream key out of credit: which provider, not the user's account",
        async () => {
          const out = await printed(ccp.url, "sonnet");
          assert.match(out, /API Error: 503 No usable credentials: provider "ant"/, out);
          assert.match(out, /Add credits to the account behind the key/);
        },
      );
    } finally {
      await ccp.close();
      await spent.close();
    }
  },
});
