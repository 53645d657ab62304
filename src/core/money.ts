/**
 * Dollar amounts as ccp writes them everywhere: the status page, `ccp usage`, `ccp statusline`
 * and `ccp check`'s budgets. One function, so a terminal and the page never disagree.
 */

/**
 * Dollars with a comma every three digits ($1,234,567.89), written out by hand rather than by a
 * locale's data, so every machine shows the same. The status page runs this very function (its
 * source is written into the page), so it is plain JavaScript once its types are gone.
 */
export function usd(x: number, digits: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return "$" + String(x);
  const fixed = Math.abs(x).toFixed(digits);
  const [whole = "", part] = fixed.split(".");
  const sign = x < 0 && Number(fixed) !== 0 ? "-" : "";
  return sign + "$" + whole.replace(/\B(?=(\d{3})+$)/g, ",") +
    (part === undefined ? "" : "." + part);
}

/**
 * A request's or a session's cost: four decimals under $1, two above. A known cost below $0.0001
 * shows as `<$0.0001`, since `$0.0000` would read as free; a model priced at 0 shows `$0`.
 */
export function cost(amount: number): string {
  if (amount === 0) return "$0";
  if (amount > 0 && amount < 0.0001) return "<$0.0001";
  return usd(amount, Math.abs(amount) < 1 ? 4 : 2);
}
