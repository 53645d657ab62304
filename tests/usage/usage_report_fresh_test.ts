/**
 * The usage endpoints count a request the moment its answer has ended: a report or a status line
 * asked for right after a turn must not miss it while its record waits for the ledger's batch.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-fresh-usage-test";

Deno.test("usage endpoints: a request just answered is in the report and its session's totals", async () => {
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 3) }]);
  const dir = await Deno.makeTempDir({ prefix: "ccp_fresh_usage_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: ${dir}/data }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/m
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const headers = { "x-api-key": TOKEN };
      const get = async (path: string) => {
        const res = await fetch(`${server.url}${path}`, { headers });
        assert.equal(res.status, 200, path);
        return await res.json();
      };
      for (let turn = 1; turn <= 3; turn++) {
        const res = await postMessages(server.url, {
          model: "claude-sonnet-4-5",
          max_tokens: 50,
          stream: true,
          messages: [{ role: "user", content: "hello" }],
        }, { ...headers, "x-claude-code-session-id": "sess-fresh" });
        assert.match(await res.text(), /event: message_stop/);
        // Asked at once, as `ccp statusline` is after a turn: no wait for the ledger's batch.
        const report = await get("/v1/ccp/usage?since=1h&by=model");
        assert.equal(report.total.requests, turn, `report after turn ${turn}`);
        assert.equal(report.total.output_tokens, 3 * turn);
        const session = await get("/v1/ccp/usage/session/sess-fresh");
        assert.equal(session.totals.requests, turn, `session after turn ${turn}`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
