/**
 * Dollars are written by one function everywhere: a comma every three digits, by hand, so every
 * machine shows the same whatever its locale; the status page runs that same function.
 */

import assert from "node:assert/strict";
import { cost, usd } from "../../src/core/money.ts";

Deno.test("money: usd writes a comma every three digits, the same everywhere", () => {
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

Deno.test("money: a cost has four decimals under $1, two above, and is never shown as free", () => {
  assert.equal(cost(0), "$0");
  assert.equal(cost(0.00003), "<$0.0001");
  assert.equal(cost(0.1234), "$0.1234");
  assert.equal(cost(2.345), "$2.35");
  assert.equal(cost(1234567.891), "$1,234,567.89");
});
