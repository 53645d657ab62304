/**
 * PostgreSQL refuses a NUL character in text, and a client may put one in the model it names
 * (JSON allows "\u0000"). One such request must not stop the shared ledger: before, the batch
 * holding it was refused, and every later record waited behind it until they were lost at stop.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openPgStore } from "../../src/usage/pg_store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { PG_MISSING, startPostgres } from "./engines.ts";
import { servedRecord } from "../helpers/records.ts";

function record(id: string, model: string): RequestRecord {
  return servedRecord({ id, clientModel: `up/${model}`, route: "explicit", model });
}

Deno.test({
  name: "shared.postgres ledger: a model name with a NUL character is written, and what follows",
  ignore: PG_MISSING !== undefined,
  fn: async () => {
    const pg = await startPostgres();
    const warnings: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => void warnings.push(l), colour: false });
    const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
    const store = openPgStore(pg.url);
    const ledger = new Ledger(store, () => config, log);
    try {
      ledger.ended(record("req_nul", "a\u0000b"));
      ledger.ended(record("req_plain", "m"));
      await ledger.flush();
      assert.deepEqual(warnings, []);
      assert.equal(ledger.pending, 0);
      const rows = await store.grouped(0, "model");
      assert.deepEqual([...rows.keys()].sort(), ["up/a\ufffdb", "up/m"]);
    } finally {
      await ledger.close();
      await pg.stop();
      await pg.remove();
    }
  },
});
