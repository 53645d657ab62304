/**
 * A session or period that mixes priced and unpriced models: its cost is only part of what was
 * spent, and the status line (`$0.0100+`) and `ccp usage` (a note under the table) say so. A
 * wholly unpriced one still shows no cost, a free one `$0`, and a local answer or a request that
 * used no token makes no cost unknown.
 */

import assert from "node:assert/strict";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { usageTable } from "../../src/cli/usage_report.ts";
import { partialCostScenario } from "./_partial_cost.ts";

Deno.test("a cost that leaves out unpriced requests says it is partial; the others read as before", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_partial_cost_" });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 7 * 86_400_000 });
  try {
    await partialCostScenario(t, store);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccp usage: no note when every cost is known, or when none is", () => {
  const total = {
    requests: 1,
    errors: 0,
    input_tokens: 1,
    output_tokens: 1,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  };
  const report = (cost: number | null) => ({
    since: "2026-12-01T00:00:00.000Z",
    by: "day" as const,
    rows: [{ key: "2026-12-01", ...total, cost_usd: cost }],
    total: { ...total, cost_usd: cost },
  });
  assert.match(usageTable(report(1.5)).split("\n").at(-1)!, /^total .* \$1\.50$/);
  // Wholly unpriced: the total is `-` already.
  assert.match(usageTable(report(null), 1).split("\n").at(-1)!, /^total .* -$/);
  assert.equal(
    usageTable(report(1.5), 1).split("\n").at(-1),
    "Partial cost: 1 request used a model with no known price, not counted in it.",
  );
});
