/** GET /metrics after real requests: the families the contract names, valid for promtool. */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { anthropicErrorBody, textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { promtool } from "../helpers/promtool.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-metrics-test";

Deno.test("/metrics: requests, tokens, histograms, attempts, in-flight and guards; promtool accepts it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_metrics_" });
  const mock = startAnthropicMock([
    { kind: "stream", events: textTurn("m", 3) },
    { kind: "json", status: 503, body: anthropicErrorBody("overloaded_error", "busy") },
    { kind: "stream", events: textTurn("m", 3) },
    { kind: "stream", events: textTurn("m", 3), cutAfter: 3 },
  ]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth:
    type: anthropic
    base_url: "${mock.url}"
    api_key: sk-ant-metrics-0123456789
    max_retries: 0
    model_settings: { m: { price: { input: 1, output: 2 } } }
  fast: { type: anthropic, base_url: "${mock.url}", api_key: sk-ant-weird-0123456789 }
routes:
  default: anth/m
  haiku: 'fast/we"ird'
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const send = async (model: string) => {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 10,
          stream: true,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-api-key": TOKEN });
        await res.text();
        return res.status;
      };
      assert.equal(await send("claude-sonnet-4-5"), 200);
      assert.equal(await send("claude-sonnet-4-5"), 503);
      assert.equal(await send("claude-haiku-4-5"), 200);
      assert.equal(await send("claude-sonnet-4-5"), 200); // the upstream breaks off mid-stream
      const count = await fetch(`${server.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": TOKEN },
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      assert.equal(count.status, 200);
      await count.body?.cancel();

      const denied = await fetch(`${server.url}/metrics`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const res = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(
        text,
        /^ccp_requests_total\{route="default",provider="anth",model="m",status="200"\} 2$/m,
      );
      assert.match(
        text,
        /^ccp_requests_total\{route="default",provider="anth",model="m",status="503"\} 1$/m,
      );
      assert.match(
        text,
        /^ccp_requests_total\{route="haiku",provider="fast",model="we\\"ird",status="200"\} 1$/m,
      );
      assert.match(text, /^ccp_tokens_total\{provider="anth",model="m",kind="output"\} \d+$/m);
      assert.match(
        text,
        /^ccp_upstream_attempts_total\{provider="anth",model="m",outcome="status_503"\} 1$/m,
      );
      assert.match(
        text,
        /^ccp_request_duration_seconds_bucket\{provider="anth",model="m",le="\+Inf"\} 3$/m,
      );
      // The stream cut off before its first token has no time to first token.
      assert.match(text, /^ccp_time_to_first_token_seconds_count\{provider="anth",model="m"\} 1$/m);
      assert.match(text, /^ccp_stream_errors_total\{provider="anth",model="m"\} 1$/m);
      assert.match(text, /^ccp_inflight_requests 0$/m);
      // Cost: the served model's price times its tokens; a model without a price has no series.
      const tokens = (kind: string) =>
        Number(
          new RegExp(`^ccp_tokens_total\\{provider="anth",model="m",kind="${kind}"\\} (\\S+)$`, "m")
            .exec(text)?.[1] ?? 0,
        );
      const cost = /^ccp_cost_usd_total\{provider="anth",model="m",route="default"\} (\S+)$/m
        .exec(text);
      assert.ok(cost, "a cost series for the priced model");
      const expected = (tokens("input") * 1 + tokens("output") * 2) / 1e6;
      assert.ok(expected > 0 && Math.abs(Number(cost[1]) - expected) < 1e-12, cost[1]);
      assert.doesNotMatch(text, /^ccp_cost_usd_total\{provider="fast"/m);
      // The lone token's client spent all of it; its requests by status (the 503 included).
      const clientCost = /^ccp_client_cost_usd_total\{client="default"\} (\S+)$/m.exec(text);
      assert.equal(clientCost?.[1], cost[1]);
      assert.match(text, /^ccp_client_requests_total\{client="default",status="503"\} 1$/m);
      // No count endpoint on this provider: counted by ccp, under the route's first target.
      assert.match(text, /^ccp_count_tokens_total\{provider="anth",model="m",via="local"\} 1$/m);
      assert.match(text, /^ccp_keys\{provider="anth",state="ready"\} 1$/m);
      // Per configured target too; a name with a quote is escaped (promtool checks it below).
      assert.match(text, /^ccp_target_keys\{provider="anth",model="m",state="ready"\} 1$/m);
      assert.match(text, /^ccp_target_keys\{provider="fast",model="we\\"ird",state="ready"\} 1$/m);
      assert.ok(!text.includes("0123456789"), "no key material");

      // promtool's lint notes (e.g. about counters' names) would be printed here.
      assert.equal(await promtool(text), "");
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
