/**
 * A preset's billing end to end: the same Kimi K2 model costs its list price at Moonshot, $0 on
 * NVIDIA NIM's free API, and has no per-token price on a flat-fee plan, in the ledger that the
 * status line, `/ui` and `ccp usage` read; `ccp check` says so before the first request.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-billing-test";
const MODEL = "moonshotai/kimi-k2-instruct";

const chat = {
  id: "c1",
  object: "chat.completion",
  created: 1,
  model: MODEL,
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 100_000, completion_tokens: 2_000, total_tokens: 102_000 },
};

const message = {
  kind: "json" as const,
  body: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: MODEL,
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 100_000, output_tokens: 2_000 },
  },
};

function yaml(openai: string, anthropic: string): string {
  return `server:
  auth_token: ${TOKEN}
  data_dir: data
providers:
  nim: { preset: nvidia_nim, base_url: "${openai}", api_key: nvapi-test-0123456789 }
  moonshot: { preset: kimi, base_url: "${openai}", api_key: sk-test-0123456789abc }
  glm: { preset: zai, base_url: "${anthropic}", api_key: zai-test-0123456789ab }
routes:
  default: nim/${MODEL}
  sonnet: moonshot/${MODEL}
  haiku: glm/${MODEL}
`;
}

Deno.test("billing: one model at $0 on NIM, at list price at Moonshot, unpriced on a flat plan", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_billing_" });
  const openai = startOpenAIMock({ json: chat });
  const anthropic = startAnthropicMock([message]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(openai.url, anthropic.url));
    const check = testContext(dir);
    assert.equal(await runCli(["check", "--config", "c.yaml"], check), 0);
    const said = check.io.stdout.join("\n");
    assert.match(said, new RegExp(`\\$0: nim/${MODEL} \\(a free API\\)`));
    assert.match(
      said,
      new RegExp(`no cost shown \\(no price\\): glm/${MODEL} \\(a flat-fee plan\\)`),
    );
    // Moonshot's own API is priced: nothing to say about it.
    const priceLines = check.io.stdout.filter((line) =>
      /^ {2}(\$0|no cost shown \(no price\)):/.test(line)
    );
    assert.equal(priceLines.length, 2);
    assert.ok(priceLines.every((line) => !line.includes("moonshot/")), priceLines.join("\n"));

    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      for (const model of ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"]) {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 50,
          messages: [{ role: "user", content: "hello" }],
        }, { "x-api-key": TOKEN });
        assert.equal(res.status, 200, await res.text());
      }
      await new Promise((r) => setTimeout(r, 300)); // written within the flush delay
      const ctx = testContext(dir);
      const args = ["usage", "--config", "c.yaml", "--json", "--by", "model", "--since", "24h"];
      assert.equal(await runCli(args, ctx), 0, ctx.io.stderr.join("\n"));
      const rows: Record<string, { cost_usd: number | null }> = Object.fromEntries(
        JSON.parse(ctx.io.stdout[0]!).rows.map((r: { key: string }) => [r.key, r]),
      );
      assert.equal(rows[`nim/${MODEL}`]?.cost_usd, 0);
      assert.equal(rows[`moonshot/${MODEL}`]?.cost_usd, (100_000 * 0.6 + 2_000 * 2.5) / 1e6);
      assert.equal(rows[`glm/${MODEL}`]?.cost_usd, null);
    } finally {
      await server.stop();
    }
  } finally {
    await openai.close();
    await anthropic.close();
  }
});
