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

Deno.test("status page: the usd it carries runs on its own in the page", () => {
  // Its cases are money_test's: here only that the text written into the page is whole.
  const usd = pageUsd();
  assert.equal(usd(1234567.891, 2), "$1,234,567.89");
  assert.equal(usd(-1234.5, 2), "-$1,234.50");
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
