/** `ccp usage`: the usage ledger as a table, or as JSON. */

import { parseQuestion, usageAnswer } from "../usage/query.ts";
import { openUsageStore } from "../usage/open.ts";
import type { UsageReport, UsageRow } from "../usage/totals.ts";
import type { CliFlags } from "./args.ts";
import { type CliContext, CliError } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { printable } from "../core/text.ts";
import { displayWidth, padEndColumns, padStartColumns } from "../core/display_width.ts";
import { messageOf } from "../core/errors.ts";
import { cost } from "../core/money.ts";

/** Runs `ccp usage`; exit 1 when the ledger cannot be read, 2 for a bad --since or --by. */
export async function runUsage(
  ctx: CliContext,
  command: { flags: CliFlags; since?: string; by?: string; json: boolean },
): Promise<number> {
  const question = parseQuestion(command, Date.now());
  if (!question.ok) throw new CliError(`--${question.message}`, 2);
  const config = await loadCliConfig(ctx, command.flags);
  const opened = await openUsageStore(config);
  if (!opened.ok) throw new CliError(`cannot read the usage ledger: ${opened.reason}`);
  try {
    // A shared database that is down or refuses: one line that names it, as an unopenable file.
    const answer = await usageAnswer(opened.store, question).catch((err: unknown) => {
      const why = messageOf(err);
      throw new CliError(`cannot read the usage ledger: ${opened.store.description}: ${why}`);
    });
    ctx.io.out(
      command.json ? JSON.stringify(answer.report) : usageTable(answer.report, answer.unpriced),
    );
  } finally {
    opened.store.close();
  }
  return 0;
}

const HEADERS = ["requests", "errors", "input", "output", "cache read", "cache write", "cost"];

// One formatter for every cell: `toLocaleString` builds one per call (26 µs each, measured), and
// a ledger holding 50,000 model names took 5 s to print.
const COUNT = new Intl.NumberFormat("en-US");

function cells(row: Omit<UsageRow, "key">): string[] {
  return [
    row.requests,
    row.errors,
    row.input_tokens,
    row.output_tokens,
    row.cache_read_input_tokens,
    row.cache_creation_input_tokens,
  ].map((n) => COUNT.format(n)).concat(dollars(row.cost_usd));
}

/** Written as the status line writes it (`$1,234.56`, `<$0.0001`); `-` means "no known price". */
function dollars(amount: number | null): string {
  return amount === null ? "-" : cost(amount);
}

/**
 * A plain-text table: one row per group, then the total, and under it, when that total cost leaves
 * out `unpriced` requests to models without a known price, a line that says so.
 */
export function usageTable(report: UsageReport, unpriced = 0): string {
  const rows = [
    [report.by, ...HEADERS],
    ...report.rows.map((r) => [printable(r.key), ...cells(r)]),
    ["total", ...cells(report.total)],
  ];
  // By the columns a terminal gives each cell: a CJK or emoji model name takes two a character.
  // Not Math.max(...column): past ~120,000 rows (a client can record that many model names) the
  // spread ran out of stack and `ccp usage --by model` failed.
  const widths = rows[0]!.map(() => 0);
  for (const r of rows) {
    r.forEach((cell, i) => widths[i] = Math.max(widths[i]!, displayWidth(cell)));
  }
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? padEndColumns : padStartColumns)(cell, widths[i]!)).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const body = report.rows.length === 0 ? ["(no requests recorded)"] : rows.slice(1, -1).map(line);
  return [
    `Usage since ${report.since}`,
    line(rows[0]!),
    rule,
    ...body,
    rule,
    line(rows[rows.length - 1]!),
    ...(report.total.cost_usd !== null && unpriced > 0 ? [partialNote(unpriced)] : []),
  ].join("\n");
}

/** Said under a total cost that is only part of what was spent. */
function partialNote(unpriced: number): string {
  const requests = unpriced === 1
    ? "1 request used a model"
    : `${COUNT.format(unpriced)} requests used models`;
  return `Partial cost: ${requests} with no known price, not counted in it.`;
}
