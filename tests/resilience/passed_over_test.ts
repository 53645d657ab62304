import assert from "node:assert/strict";
import { passedOver, passedTarget } from "../../src/resilience/passed_over.ts";
import type { KeysUnavailable } from "../../src/resilience/key_report.ts";

const NOW = 1_000_000;
const target = { provider: "local", model: "qwen3" };

function keys(over: Partial<KeysUnavailable>): KeysUnavailable {
  return {
    reason: "blocked",
    cooling: 0,
    blocked: 1,
    retryAt: NOW + 30_000,
    hinted: false,
    recentStatuses: [401],
    keyless: false,
    ...over,
  };
}

Deno.test("passed over: a provider without a key is not said to have a key set aside", () => {
  assert.deepEqual(passedOver([{ kind: "keys", target, keys: keys({ keyless: true }) }], NOW), [
    "local/qwen3 (not sent: no API key is set for it and it answered 401)",
  ]);
});

Deno.test("passed over: keys cooling and keys set aside are both named", () => {
  const both = keys({ reason: "cooling", cooling: 2, blocked: 1, recentStatuses: [403] });
  assert.deepEqual(passedOver([{ kind: "keys", target, keys: both }], NOW), [
    "local/qwen3 (not sent: 2 keys cooling down after 429, key refused with 403, usable " +
    "again in 30s)",
  ]);
});

Deno.test("passed over: a wait of an hour or more names its moment in UTC, not seconds alone", () => {
  const day = Date.UTC(2026, 11, 7, 14, 30);
  const midnight = Date.UTC(2026, 11, 8);
  const cooling = keys({
    reason: "cooling",
    cooling: 1,
    blocked: 0,
    retryAt: midnight,
    recentStatuses: [429],
  });
  assert.deepEqual(passedOver([{ kind: "keys", target, keys: cooling }], day), [
    "local/qwen3 (not sent: key cooling down after 429, usable again in 34200s, at 2026-12-08 " +
    "00:00 UTC)",
  ]);
});

Deno.test("passed over: the target an entry names, when its model id holds ` (` too", () => {
  const rows: Array<[string, string]> = [
    ["claude/m (not sent: budget spent)", "claude/m"],
    ["local/qwen3 (refused as too long)", "local/qwen3"],
    // Two models a gateway names with a parenthesis are two targets, not one `gw/m`.
    ["gw/m (beta) (not sent: paused after repeated failures, re-tried in 30s)", "gw/m (beta)"],
    ["gw/m (fast) (not sent: key cooling down after 429, usable again in 3s)", "gw/m (fast)"],
    // A reason with a parenthesis of its own.
    ["gw/m (x) (not sent: until 14:30 UTC (tomorrow))", "gw/m (x)"],
    // No reason to cut: the entry as it is.
    ["gw/m", "gw/m"],
    ["gw/m (open", "gw/m (open"],
  ];
  for (const [entry, target] of rows) assert.equal(passedTarget(entry), target, entry);
});
