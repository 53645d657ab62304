/**
 * The partial-cost scenario both ledger stores run (tests/usage/partial_cost_test.ts on Deno KV,
 * tests/shared/pg_partial_cost_test.ts on PostgreSQL): the same entries, the same lines.
 */

import assert from "node:assert/strict";
import type { LedgerEntry } from "../../src/usage/entry.ts";
import type { UsageStore } from "../../src/usage/store.ts";
import { statusText } from "../../src/cli/statusline.ts";
import { usageAnswer } from "../../src/usage/query.ts";
import { usageTable } from "../../src/cli/usage_report.ts";

let next = 0;

function entry(
  session: string,
  served: { provider?: string; model?: string; costUsd?: number; tokens?: number },
): LedgerEntry {
  const tokens = served.tokens ?? 1000;
  return {
    id: `req_${++next}`,
    at: Date.now(),
    session,
    client: "default",
    route: served.provider === undefined ? "local" : "default",
    ...(served.provider !== undefined ? { provider: served.provider, model: served.model } : {}),
    status: tokens > 0 ? 200 : 502,
    error: tokens === 0,
    stream: true,
    inputTokens: tokens,
    outputTokens: tokens > 0 ? 10 : 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    ...(served.costUsd !== undefined ? { costUsd: served.costUsd } : {}),
    durationMs: 5,
  };
}

const PAID = { provider: "anthropic", model: "claude-sonnet-4-6", costUsd: 0.01 };
const LOCAL = { provider: "ollama", model: "qwen3-coder" };
const FREE = { provider: "nvidia_nim", model: "moonshotai/kimi-k2.5", costUsd: 0 };
const ANSWERED_HERE = { tokens: 20 };

/** Appends the entries to `store` and checks what the status line and `ccp usage` make of them. */
export async function partialCostScenario(t: Deno.TestContext, store: UsageStore): Promise<void> {
  await store.append([
    entry("mixed", PAID),
    entry("mixed", LOCAL),
    entry("unpriced", LOCAL),
    entry("free", FREE),
    // Nothing unknown was spent: a local answer, and a request refused before any token.
    entry("priced", PAID),
    entry("priced", ANSWERED_HERE),
    entry("priced", { ...LOCAL, tokens: 0 }),
  ]);
  const line = async (id: string) => statusText(await store.session(id));

  await t.step("status line: a trailing + on a session's partial cost", async () => {
    assert.match(await line("mixed"), / · 2 req · \$0\.0100\+$/);
  });
  await t.step("status line: wholly unpriced shows no cost, free shows $0", async () => {
    assert.match(await line("unpriced"), / · 1 req$/);
    assert.match(await line("free"), / · 1 req · \$0$/);
  });
  await t.step("status line: a local answer or a tokenless error adds no +", async () => {
    assert.match(await line("priced"), / · 3 req · \$0\.0100$/);
  });
  await t.step("ccp usage: a note under the table when the total leaves some out", async () => {
    const answer = await usageAnswer(store, { since: 0, by: "model" });
    assert.equal(answer.unpriced, 2);
    const lines = usageTable(answer.report, answer.unpriced).split("\n");
    assert.match(lines.at(-2)!, /^total .* \$0\.0200$/);
    assert.equal(
      lines.at(-1),
      "Partial cost: 2 requests used models with no known price, not counted in it.",
    );
    // The JSON keeps its documented shape.
    assert.deepEqual(Object.keys(answer.report.total), [
      "requests",
      "errors",
      "input_tokens",
      "output_tokens",
      "cache_read_input_tokens",
      "cache_creation_input_tokens",
      "cost_usd",
    ]);
  });
}
