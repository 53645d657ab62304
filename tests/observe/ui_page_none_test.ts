/** The status page spells a request no provider served as the ledger and /metrics do. */

import assert from "node:assert/strict";
import { UI_PAGE } from "../../src/observe/ui/page.ts";

Deno.test("status page: the served-by cell of a request without a provider says none", () => {
  const row = UI_PAGE.split("\n").find((line) => line.includes('r.provider + "/" + r.model'));
  assert.ok(row, "the served-by cell");
  assert.match(row, /: "none";$/);
});
