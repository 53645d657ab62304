/**
 * A USD budget over a model without a price would read $0 forever and never route away: ccp says
 * so at start, in `ccp check`, and when a request to such a model first ends.
 */

import assert from "node:assert/strict";
import type { BudgetConfig, Config } from "../../src/config/types.ts";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { unpricedTargets } from "../../src/usage/unpriced.ts";
import { budgetLines } from "../../src/cli/check_budgets.ts";
import { provider, testConfig } from "../helpers/config.ts";

const PRICE = { input: 1, output: 2 };

function config(budgets: BudgetConfig[]): Config {
  return {
    ...testConfig({
      providers: [
        provider("paid", { modelSettings: { priced: { price: PRICE } } }),
        provider("loc", { preset: "ollama" }),
      ],
      routes: {
        default: ["paid/priced", "paid/mystery-model"],
        haiku: "loc/qwen3",
        opus: "paid/claude-opus-4-5", // the built-in table prices it
      },
    }),
    budgets,
  };
}

const usd = (over: Partial<BudgetConfig>): BudgetConfig => ({
  costUsd: 5,
  per: "day",
  routeAwayAt: 1,
  ...over,
});

Deno.test("unpriced: each route target a USD budget covers without a price is named", () => {
  const found = (budgets: BudgetConfig[]) =>
    unpricedTargets(config(budgets)).map((u) => `${u.budget}: ${u.provider}/${u.model}`);
  assert.deepEqual(found([usd({ provider: "paid" })]), ["paid: paid/mystery-model"]);
  assert.deepEqual(found([usd({ provider: "loc" })]), ["loc: loc/qwen3"]);
  assert.deepEqual(found([usd({ provider: "paid", model: "priced" })]), []);
  assert.deepEqual(found([usd({ provider: "paid", model: "other" })]), ["paid/other: paid/other"]);
  assert.deepEqual(found([usd({ client: "ci" })]), [
    "client ci: paid/mystery-model",
    "client ci: loc/qwen3",
  ]);
  // A tokens budget counts whatever the price.
  assert.deepEqual(found([{ provider: "loc", tokens: 1000, per: "day", routeAwayAt: 1 }]), []);
});

Deno.test("unpriced: a provider/* target is priced per request, not warned about at start", () => {
  // A team's quota fallback: Claude Code's own model names to Anthropic, priced by the built-in
  // table as each request names one. A local provider's models have no price whatever the name.
  const passthrough: Config = {
    ...testConfig({
      providers: [
        provider("claude", { preset: "anthropic" }),
        provider("loc", { preset: "ollama" }),
      ],
      routes: { default: ["claude/*", "loc/*"] },
    }),
    budgets: [usd({ client: "alice" })],
  };
  const found = unpricedTargets(passthrough).map((u) => `${u.budget}: ${u.provider}/${u.model}`);
  assert.deepEqual(found, ["client alice: loc/*"]);
});

Deno.test("unpriced: ccp check notes it under the budgets", async () => {
  const lines = await budgetLines(config([usd({ provider: "loc" })]), { close: () => {} });
  assert.match(lines.at(-1)!, /^ {2}note: Budget loc counts USD, but loc\/qwen3 has no price/);
  assert.match(lines.at(-1)!, /providers\.loc\.model_settings\."qwen3"\.price/);
});

Deno.test("unpriced: the ledger warns at start, and once for a model a client names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_unpriced_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 3600_000 });
  const logs: string[] = [];
  const log = createLogger({ level: "warn", write: (line) => logs.push(line), colour: false });
  const current = config([usd({ provider: "paid" })]);
  const ledger = new Ledger(store, () => current, log);
  try {
    await ledger.start();
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /Budget paid counts USD, but paid\/mystery-model has no price/);
    const record = (model: string): RequestRecord => ({
      id: `req_${model}`,
      startedAt: Date.now(),
      method: "POST",
      path: "/v1/messages",
      client: "default",
      provider: "paid",
      model,
      attempts: [],
      status: 200,
      outcome: "ok",
      usage: { inputTokens: 100, outputTokens: 10 },
      durationMs: 5,
    });
    ledger.ended(record("named-by-client"));
    ledger.ended(record("named-by-client"));
    ledger.ended(record("priced"));
    ledger.ended(record("mystery-model")); // already said at start
    assert.equal(logs.length, 2, logs.join("\n"));
    assert.match(logs[1]!, /Budget paid counts USD, but paid\/named-by-client has no price/);
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccp check: a USD budget's spend and limit with thousands separators", async () => {
  const lines = await budgetLines(config([usd({ provider: "paid", costUsd: 1234567.891 })]), {
    close: () => {},
  });
  assert.match(lines[1]!, /^ {2}paid: \$0\.00 of \$1,234,567\.89 per day /);
});

Deno.test("unpriced: OpenRouter's Anthropic endpoint says no cost in a stream, so its unpriced models are named", async () => {
  const c: Config = {
    ...testConfig({
      providers: [
        provider("or", { preset: "open_router" }),
        provider("orc", { preset: "open_router", type: "openai" }),
      ],
      routes: {
        default: ["or/moonshotai/kimi-k2", "or/anthropic/claude-sonnet-4.5"],
        opus: "orc/moonshotai/kimi-k2",
      },
    }),
    budgets: [usd({ client: "ci" })],
  };
  const found = unpricedTargets(c);
  // Chat Completions says every answer's cost; a model the table prices is priced when streamed.
  assert.deepEqual(found.map((u) => `${u.provider}/${u.model}`), ["or/moonshotai/kimi-k2"]);
  // The start-up warning is the ledger's.
  const dir = await Deno.makeTempDir({ prefix: "ccp_unpriced_or_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 3600_000 });
  const logs: string[] = [];
  const log = createLogger({ level: "warn", write: (line) => logs.push(line), colour: false });
  const ledger = new Ledger(store, () => c, log);
  try {
    await ledger.start();
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(logs.length, 1, logs.join("\n"));
  const warning = logs[0]!;
  assert.match(warning, /or\/moonshotai\/kimi-k2 has no price, and provider "or"'s Anthropic/);
  assert.match(warning, /its streamed requests \(all of Claude Code's\) add nothing to it/);
  assert.match(warning, /set type: openai on provider "or" \(each answer then says what it cost\)/);
});
