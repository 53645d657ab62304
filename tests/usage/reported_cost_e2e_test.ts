/**
 * OpenRouter says in each answer what it cost; that is what the ledger records (and so what the
 * status line, `/ui`, budgets and `ccp usage` show), over the built-in table, by Chat Completions
 * and by its Anthropic Messages endpoint, streamed and not. An open model the table cannot price
 * there gets a cost at last; a closed one costs what OpenRouter charged, not its list price; a
 * price the user set still wins.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { postMessages } from "../helpers/ccp.ts";
import {
  chatAnswer,
  chatStream,
  messagesAnswer,
  messagesStream,
  type Spend,
} from "../mocks/openrouter_wire.ts";

const TOKEN = "ccp-reported-cost-test";
const KIMI = "moonshotai/kimi-k2";
const GLM = "z-ai/glm-4.6";
const SONNET = "anthropic/claude-sonnet-4.5";
const HAIKU = "anthropic/claude-haiku-4.5";

const CHAT_STREAMED: Spend = { prompt: 12_000, completion: 800, cached: 4_000, cost: 0.0071 };
const CHAT_WHOLE: Spend = { prompt: 3_000, completion: 200, cost: 0.00125 };
// On the user's own Anthropic key: OpenRouter's fee, and what Anthropic charged that key.
const MESSAGES_WHOLE: Spend = { prompt: 10_000, completion: 500, cost: 0.0019, byok: 0.0375 };
const MESSAGES_STREAMED: Spend = { prompt: 20_000, completion: 1_000, cost: 0.0752 };

function yaml(openai: string, anthropic: string): string {
  return `server:
  auth_token: ${TOKEN}
  data_dir: data
providers:
  orchat: { preset: open_router, type: openai, base_url: "${openai}", api_key: sk-or-v1-test-0123456789 }
  or:
    preset: open_router
    base_url: "${anthropic}"
    api_key: sk-or-v1-test-0123456789
    model_settings: { "${HAIKU}": { price: { input: 2, output: 10 } } }
routes:
  default: orchat/${KIMI}
  opus: orchat/${GLM}
  sonnet: or/${SONNET}
  haiku: or/${HAIKU}
budgets:
  - { target: orchat, cost_usd: 5, per: day }
`;
}

Deno.test("OpenRouter: each answer's reported cost is what the ledger records, over the table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_reported_cost_" });
  const openai = startOpenAIMock({
    sse: chatStream(KIMI, "hi", CHAT_STREAMED),
    json: chatAnswer(GLM, "hi", CHAT_WHOLE),
  });
  const anthropic = startAnthropicMock([
    { kind: "stream", events: messagesStream(SONNET, "hi", MESSAGES_STREAMED, true) },
    { kind: "json", body: messagesAnswer(HAIKU, "hi", MESSAGES_WHOLE) },
  ]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(openai.url, anthropic.url));
    const check = testContext(dir);
    assert.equal(await runCli(["check", "--config", "c.yaml"], check), 0);
    const said = check.io.stdout.join("\n");
    assert.match(said, new RegExp(`what each answer says it cost: orchat/${KIMI}, orchat/${GLM}`));
    // Unpriced by the table, yet each answer prices itself: no warning, no "no cost" line.
    assert.doesNotMatch(said, /no cost shown|has no price/);

    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const asks = [
        { model: "claude-opus-4-5", stream: false },
        { model: "claude-fable-4", stream: true },
        { model: "claude-sonnet-4-5", stream: true },
        { model: "claude-haiku-4-5", stream: false },
      ];
      for (const { model, stream } of asks) {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 50,
          stream,
          messages: [{ role: "user", content: "hello" }],
        }, { "x-api-key": TOKEN });
        const text = await res.text();
        assert.equal(res.status, 200, text);
        if (stream) assert.match(text, /event: message_stop/);
      }
      await new Promise((r) => setTimeout(r, 300)); // written within the flush delay
      const ctx = testContext(dir);
      const args = ["usage", "--config", "c.yaml", "--json", "--by", "model", "--since", "24h"];
      assert.equal(await runCli(args, ctx), 0, ctx.io.stderr.join("\n"));
      const rows: Record<string, { cost_usd: number | null }> = Object.fromEntries(
        JSON.parse(ctx.io.stdout[0]!).rows.map((r: { key: string }) => [r.key, r]),
      );
      assert.equal(rows[`orchat/${KIMI}`]?.cost_usd, CHAT_STREAMED.cost);
      assert.equal(rows[`orchat/${GLM}`]?.cost_usd, CHAT_WHOLE.cost);
      // Not the table's $3 / $15 for Sonnet 4.5: what OpenRouter charged.
      assert.equal(rows[`or/${SONNET}`]?.cost_usd, MESSAGES_STREAMED.cost);
      // The user's own price wins over what the answer reported: tokens x that price.
      assert.equal(
        rows[`or/${HAIKU}`]?.cost_usd,
        (MESSAGES_WHOLE.prompt * 2 + MESSAGES_WHOLE.completion * 10) / 1e6,
      );
      const budget = testContext(dir);
      assert.equal(await runCli(["check", "--config", "c.yaml"], budget), 0);
      const spent = (CHAT_STREAMED.cost + CHAT_WHOLE.cost).toFixed(2);
      assert.match(budget.io.stdout.join("\n"), new RegExp(`\\$${spent.replace(".", "\\.")}`));
    } finally {
      await server.stop();
    }
  } finally {
    await openai.close();
    await anthropic.close();
  }
});
