/**
 * The status page writes dollars with a comma every three digits ($1,234,567.89), by hand, so
 * every machine shows the same whatever its locale. The page's own function is run here; it is the
 * one \`ccp usage\` and \`ccp statusline\` write with, not a copy.
 */

import assert from "node:assert/strict";
import { UI_PAGE } from "../../src/observe/ui/page.ts";
import { usd as cliUsd } from "../../src/core/money.ts";

function pageUsd(): (x: number, digits: number) => string {
  const start = UI_PAGE.indexOf("function usd(");
  assert.ok(start >= 0, "the page has its usd function");
  const source = UI_PAGE.slice(start, UI_PAGE.indexOf("\n}\n", start) + 2);
  return new Function(`${source}; return usd;`)() as (x: number, digits: number) => string;
}

Deno.test("status page: dollars with thousands separators, the same everywhere", () => {
  const usd = pageUsd();
  const cases: Array<[number, number, string]> = [
    [0, 2, "$0.00"],
    [7.5, 2, "$7.50"],
    [999.999, 2, "$1,000.00"],
    [1000, 2, "$1,000.00"],
    [1000000, 2, "$1,000,000.00"],
    [1234567.891, 2, "$1,234,567.89"],
    [123456, 0, "$123,456"],
    [0.000242, 4, "$0.0002"],
    [98765.4321, 4, "$98,765.4321"],
    [-1234.5, 2, "-$1,234.50"],
    [-0.001, 2, "$0.00"],
  ];
  for (const [x, digits, shown] of cases) assert.equal(usd(x, digits), shown, `${x}`);
});

Deno.test("status page: budgets and the cost chart write dollars with the page's usd", () => {
  assert.match(UI_PAGE, /b\.unit === "USD" \? usd\(x, 2\)/);
  assert.match(UI_PAGE, /value: \(u, v\) => v == null \? "" : usd\(v, 4\)/);
  assert.ok(!/"\$" \+ \w+\.toFixed/.test(UI_PAGE), "no dollar amount without separators");
});

Deno.test("status page: its usd is the CLI's, written into the page", () => {
  assert.ok(UI_PAGE.includes(String(cliUsd)), "the page carries src/core/money.ts's usd");
  assert.equal(UI_PAGE.split("function usd(").length, 2, "one usd in the page");
});
