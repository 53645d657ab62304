import assert from "node:assert/strict";
import { usageTable } from "../../src/cli/usage_report.ts";
import type { UsageRow } from "../../src/usage/totals.ts";

function row(key: string, cost: number | null): UsageRow {
  return {
    key,
    requests: 1,
    errors: 0,
    input_tokens: 12,
    output_tokens: 7,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost_usd: cost,
  };
}

Deno.test("ccp usage's cost column: unknown, tiny, small and large costs", () => {
  const rows = [
    row("unpriced", null),
    row("tiny", 0.0000247),
    row("free", 0),
    row("small", 0.01234),
    row("large", 3.4712),
  ];
  const { key: _, ...total } = row("", 3.4835647);
  const text = usageTable({ since: "2026-12-01T00:00:00.000Z", by: "model", rows, total });
  const cost = (name: string) =>
    text.split("\n").find((l) => l.startsWith(name))?.trim().split(/\s+/).at(-1);
  assert.equal(cost("unpriced"), "-");
  // A known cost is never shown as zero: $0.0000 would read as free.
  assert.equal(cost("tiny"), "<$0.0001");
  assert.equal(cost("free"), "$0");
  assert.equal(cost("small"), "$0.0123");
  assert.equal(cost("large"), "$3.47");
  assert.equal(cost("total"), "$3.48");
});

Deno.test("ccp usage: dollars with thousands separators, as the status page writes them", () => {
  const rows = [row("big", 1234567.891), row("four", 98765.4321)];
  const { key: _, ...total } = row("", 1333333.3231);
  const text = usageTable({ since: "2026-12-01T00:00:00.000Z", by: "model", rows, total });
  const cost = (name: string) =>
    text.split("\n").find((l) => l.startsWith(name))?.trim().split(/\s+/).at(-1);
  assert.equal(cost("big"), "$1,234,567.89");
  assert.equal(cost("four"), "$98,765.43");
  assert.equal(cost("total"), "$1,333,333.32");
  assert.match(text.split("\n")[1]!, / {2}cost$/);
});

Deno.test("ccp usage: a model name a client chose cannot forge a row or drive the terminal", () => {
  const rows = [
    row("up/a\nforged  1  0", null),
    row("up/\x1b[2J\x1b]0;owned\x07x", null),
    // A bidi terminal would draw the rest of the row backwards: its counts reversed.
    row("up/\u202erev\u2066x\u200f", null),
  ];
  const { key: _, ...total } = row("", null);
  const text = usageTable({ since: "2026-12-01T00:00:00.000Z", by: "model", rows, total });
  // deno-lint-ignore no-control-regex -- a control character in the output is the fault
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f]/);
  const lines = text.split("\n");
  assert.equal(lines.length, 8, text); // since, header, rule, three rows, rule, total
  assert.ok(lines.some((l) => l.startsWith("up/a\\x0aforged  1  0")), text);
  assert.ok(lines.some((l) => l.startsWith("up/\\x1b[2J\\x1b]0;owned\\x07x")), text);
  assert.doesNotMatch(text, /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  assert.ok(lines.some((l) => l.startsWith("up/\\u202erev\\u2066x\\u200f  ")), text);
});

Deno.test("ccp usage: CJK, emoji and accented model names keep the columns aligned", () => {
  // Each name with the columns a terminal gives it, counted by hand.
  const names: [string, number][] = [
    ["up/plain-model", 14],
    ["up/モデル", 9],
    ["up/🚀rocket", 11],
    ["up/e\u0301cole", 8],
    ["up/通义千问-max", 15],
  ];
  const rows = names.map(([name]) => row(name, 1.5));
  const { key: _, ...total } = row("", 7.5);
  const text = usageTable({ since: "2026-12-01T00:00:00.000Z", by: "model", rows, total });
  const lines = text.split("\n");
  const widest = 15;
  for (const [name, columns] of names) {
    const line = lines.find((l) => l.startsWith(name));
    assert.ok(line, text);
    // The name's column is as wide as the widest name; the requests column (8) follows.
    assert.ok(
      line.startsWith(`${name}${" ".repeat(widest - columns)}  ${"1".padStart(8)}  `),
      `${JSON.stringify(line)}\n${text}`,
    );
  }
  assert.ok(lines[1]!.startsWith(`model${" ".repeat(widest - 5)}  requests`), text);
  assert.ok(lines[2]!.startsWith(`${"-".repeat(widest)}  --------  `), text);
});

Deno.test("ccp usage: a ledger with 200,000 model names (a client invents them) still prints", () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => row(`up/m${i}`, null));
  const { key: _, ...total } = row("", null);
  const text = usageTable({ since: "2026-12-01T00:00:00.000Z", by: "model", rows, total });
  const lines = text.split("\n");
  assert.equal(lines.length, 200_005);
  assert.match(lines[3]!, /^up\/m0 {10}/);
});
