/** The partial-cost scenario on a real PostgreSQL ledger (see tests/usage/_partial_cost.ts). */

import { openPgStore } from "../../src/usage/pg_store.ts";
import { partialCostScenario } from "../usage/_partial_cost.ts";
import { PG_MISSING, startPostgres } from "./engines.ts";

Deno.test({
  name: "shared.postgres ledger: a partial cost is marked as on Deno KV",
  ignore: PG_MISSING !== undefined,
  fn: async (t) => {
    const pg = await startPostgres();
    const store = openPgStore(pg.url);
    try {
      await partialCostScenario(t, store);
    } finally {
      store.close();
      await pg.stop();
      await pg.remove();
    }
  },
});
