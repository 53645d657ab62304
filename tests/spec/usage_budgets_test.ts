/**
 * The external contract's usage ledger and budgets from outside, through `ccp serve` and
 * `ccp usage`: which tokens a budget counts, `route_away_at`'s default, each period's reset as
 * `Retry-After`, a `provider/model` and a `cost_usd` budget, and the report's counters and costs.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { inTempDir, testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "tok-spec-budgets-0123";

/** Anthropic's answer with 600 input, 100 output, 200 cache-read and 100 cache-write tokens. */
const ANSWER = {
  kind: "json" as const,
  body: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "m",
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 600,
      output_tokens: 100,
      cache_read_input_tokens: 200,
      cache_creation_input_tokens: 100,
    },
  },
};

/** Serves `budgets` in front of a mock answering ANSWER, then runs `run` with a way to ask. */
async function withBudgets(
  budgets: string,
  run: (ask: (model?: string) => Promise<Response>, dir: string) => Promise<void>,
): Promise<void> {
  const mock = startAnthropicMock([ANSWER]);
  try {
    await inTempDir("ccp-spec-budgets-", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth:
    type: anthropic
    base_url: "${mock.url}"
    api_key: sk-ant-test-0123456789
    model_settings:
      priced: { price: { input: 100, output: 100, cache_read: 100, cache_write: 100 } }
routes:
  default: anth/priced
${budgets}`,
      );
      const server = await startServer({
        ctx: testContext(dir),
        flags: { config: "c.yaml", port: 0 },
      });
      try {
        await run(async (model = "gpt-4o") => {
          const res = await postMessages(server.url, {
            model,
            max_tokens: 50,
            messages: [{ role: "user", content: "hello" }],
          }, { "x-api-key": TOKEN });
          return res;
        }, dir);
      } finally {
        await server.stop();
      }
    });
  } finally {
    await mock.close();
  }
}

/** Seconds from now until `at`. */
const secondsUntil = (at: Date) => (at.getTime() - Date.now()) / 1000;

function nextMonday(): Date {
  const at = new Date();
  at.setUTCHours(0, 0, 0, 0);
  at.setUTCDate(at.getUTCDate() + ((8 - at.getUTCDay()) % 7 || 7));
  return at;
}

async function assertExhausted(res: Response, resetsAt: Date): Promise<void> {
  assert.equal(res.status, 429);
  const json = await res.json();
  assert.equal(json.type, "error");
  assert.equal(json.error.type, "rate_limit_error");
  assert.equal(json.error.code, "budget_exhausted");
  assert.equal(typeof json.error.message, "string");
  const retryAfter = Number(res.headers.get("retry-after"));
  assert.ok(Math.abs(retryAfter - secondsUntil(resetsAt)) < 5, `Retry-After ${retryAfter}`);
}

Deno.test("budgets: tokens count input + output + cache-read + cache-write; route_away_at defaults to 100%; a week resets on Monday (UTC)", async () => {
  await withBudgets(
    "budgets:\n  - { target: anth, tokens: 1k, per: week }\n",
    async (ask) => {
      const first = await ask();
      assert.equal(first.status, 200);
      await first.body?.cancel();
      // 1000 tokens of a 1k budget: spent (input and output alone would be 700).
      await assertExhausted(await ask(), nextMonday());
    },
  );
});

Deno.test("budgets: a target serves until its spend reaches the budget; a day resets at midnight UTC", async () => {
  await withBudgets(
    "budgets:\n  - { target: anth, tokens: 2k, per: day }\n",
    async (ask) => {
      for (let i = 0; i < 2; i++) {
        const res = await ask();
        assert.equal(res.status, 200, `request ${i + 1}: 1000 then 2000 tokens spent`);
        await res.body?.cancel();
      }
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      await assertExhausted(await ask(), midnight);
    },
  );
});

Deno.test("budgets: cost_usd of a provider/model target, per month (resets on the 1st, UTC)", async () => {
  // 1000 tokens at 100 USD per million: 0.1 USD.
  await withBudgets(
    "budgets:\n  - { target: anth/priced, cost_usd: 0.1, per: month, route_away_at: 90% }\n",
    async (ask) => {
      const first = await ask();
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const now = new Date();
      const firstOfNext = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      await assertExhausted(await ask(), firstOfNext);
    },
  );
});

Deno.test("ccp usage --json: the report's fields, errors counted, cost_usd unrounded", async () => {
  await withBudgets("", async (ask, dir) => {
    const served = await ask();
    await served.body?.cancel();
    const refused = await ask("groq/x");
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
    // A record is on disk within 1 s of its answer.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ctx = testContext(dir);
    const code = await runCli(
      ["usage", "--config", "c.yaml", "--json", "--by", "model", "--since", "24h"],
      ctx,
    );
    assert.equal(code, 0, ctx.io.stderr.join("\n"));
    assert.equal(ctx.io.stdout.length, 1);
    const report = JSON.parse(ctx.io.stdout[0]!);
    assert.deepEqual(Object.keys(report), ["since", "by", "rows", "total"]);
    assert.equal(report.by, "model");
    assert.ok(Math.abs(Date.parse(report.since) - (Date.now() - 24 * 3600_000)) < 60_000);
    const priced = report.rows.find((row: { key: string }) => row.key === "anth/priced");
    const { cost_usd: cost, ...counts } = priced;
    assert.deepEqual(counts, {
      key: "anth/priced",
      requests: 1,
      errors: 0,
      input_tokens: 600,
      output_tokens: 100,
      cache_read_input_tokens: 200,
      cache_creation_input_tokens: 100,
    });
    // Σ tokens × price / 10⁶, unrounded: 1000 tokens at 100 USD per million.
    assert.ok(Math.abs(cost - 0.1) < 1e-12, `${cost}`);
    assert.equal(report.total.requests, 2);
    assert.equal(report.total.errors, 1);
    assert.equal(report.total.cost_usd, cost, "the total sums the known costs");
  });
});
