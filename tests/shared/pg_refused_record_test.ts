/**
 * A record PostgreSQL refuses (here a constraint stands for any per-record limit ccp does not
 * know) must not stop the shared ledger: the batch is written in halves, the refused record is
 * left out with one warning, and every other record is written, those after it too.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openPgStore } from "../../src/usage/pg_store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { PG_MISSING, startPostgres } from "./engines.ts";
import { servedRecord } from "../helpers/records.ts";

function record(id: string): RequestRecord {
  return servedRecord({ id });
}

Deno.test({
  name: "shared.postgres ledger: a record the database refuses is left out, the rest is written",
  ignore: PG_MISSING !== undefined,
  fn: async () => {
    const pg = await startPostgres();
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (l) => void lines.push(l), colour: false });
    const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
    const store = openPgStore(pg.url);
    const ledger = new Ledger(store, () => config, log);
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      assert.ok(await store.ping!());
      await admin.unsafe(
        `ALTER TABLE ccp_usage ADD CONSTRAINT no_refused CHECK (id <> 'req_refused')`,
      );
      for (const id of ["req_1", "req_2", "req_refused", "req_3", "req_4"]) {
        ledger.ended(record(id));
      }
      await ledger.flush();
      assert.equal(ledger.pending, 0, lines.join(""));
      const warnings = lines.filter((l) => l.includes("WARN"));
      assert.equal(warnings.length, 1, lines.join(""));
      assert.match(
        warnings[0]!,
        /PostgreSQL at .* refused the record of request req_refused \(.*no_refused/,
      );
      assert.equal(ledger.dropped.refused, 1);
      ledger.ended(record("req_5"));
      await ledger.flush();
      const rows = await store.grouped(0, "provider");
      assert.equal(rows.get("up")?.requests, 5);
    } finally {
      await admin.end();
      await ledger.close();
      await pg.stop();
      await pg.remove();
    }
  },
});
