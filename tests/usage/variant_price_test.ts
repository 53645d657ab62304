/**
 * A route variant's `price` (any model_settings key may sit beside `target`) prices its own
 * target: in what a request costs, in `ccp check`'s Prices lines, and in the unpriced-budget
 * warning. The provider's `model_settings` price stays for the model's other routes.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { unpricedTargets } from "../../src/usage/unpriced.ts";
import { priceLines } from "../../src/cli/check_prices.ts";
import { testApp } from "../helpers/ccp.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

const yaml = (extra = "") =>
  configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  lab:
    type: anthropic
    base_url: http://127.0.0.1:9/
    api_key: sk-lab-0000000000000001
routes:
  default: { target: lab/m, price: { input: 3, output: 15 } }
  haiku: lab/m
${extra}`,
  });

function answer(): Response {
  const events = [
    {
      type: "message_start",
      message: openingMessage("msg_1", "m", { input_tokens: 1000, output_tokens: 1 }),
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 2000 },
    },
    { type: "message_stop" },
  ].map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
  return new Response(events, { headers: { "content-type": "text/event-stream" } });
}

Deno.test("a route variant's price is what its requests cost", async () => {
  const { app } = testApp(yaml(), { fetch: () => Promise.resolve(answer()) });
  const sent = await app.fetch(
    new Request("http://ccp/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        stream: true,
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
  );
  assert.equal(sent.status, 200);
  await sent.text();
  const metrics = await (await app.fetch(new Request("http://ccp/metrics"))).text();
  const cost = /^ccp_cost_usd_total\{provider="lab",model="m",route="default"\} (\S+)$/m
    .exec(metrics)?.[1];
  assert.equal(Number(cost), (1000 * 3 + 2000 * 15) / 1e6, metrics);
});

Deno.test("ccp check: a variant's price counts for its target, not the model's other routes", () => {
  assert.deepEqual(priceLines(yaml()), [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    "  no cost shown (no price): lab/m (not in the built-in table)",
  ]);
  const zero = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  lab: { type: anthropic, base_url: "http://127.0.0.1:9/", api_key: sk-lab-0000000000000001 }
routes:
  default: { target: lab/m, price: { input: 0, output: 0 } }
`,
  });
  assert.deepEqual(priceLines(zero), [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    "  $0: lab/m (its price)",
  ]);
});

Deno.test("budgets: a USD budget warns about the unpriced route only", () => {
  const budget = "budgets:\n  - { target: lab/m, cost_usd: 5, per: day }\n";
  assert.deepEqual(unpricedTargets(yaml(budget)), [
    { budget: "lab/m", provider: "lab", model: "m" },
  ]);
  const priced = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  lab: { type: anthropic, base_url: "http://127.0.0.1:9/", api_key: sk-lab-0000000000000001 }
routes:
  default: { target: lab/m, price: { input: 3, output: 15 } }
${budget}`,
  });
  assert.deepEqual(unpricedTargets(priced), []);
});
