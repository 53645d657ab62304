/**
 * The ledger's `passed` column came after the table's first release: a table made by an older
 * ccp must gain it at start-up, its old rows must read back (without a note), and new rows must
 * keep theirs, for the status line's "why a fallback serves".
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { createLogger } from "../../src/core/log.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openPgStore } from "../../src/usage/pg_store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { servedRecord } from "../helpers/records.ts";
import { PG_MISSING, startPostgres } from "./engines.ts";

// The table as ccp made it before the column existed.
const OLD_TABLE = `CREATE TABLE ccp_usage (
  id text PRIMARY KEY, at bigint NOT NULL, session text, client text NOT NULL,
  client_model text, route text, provider text, model text, key_label text,
  status integer NOT NULL, error boolean NOT NULL, stream boolean NOT NULL,
  input_tokens bigint NOT NULL, output_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL, cache_write_tokens bigint NOT NULL,
  cost_nano_usd bigint, duration_ms real NOT NULL, ttft_ms real
)`;

Deno.test({
  name: "shared.postgres ledger: a table made before `passed` gains it; old rows read back",
  ignore: PG_MISSING !== undefined,
  fn: async () => {
    const pg = await startPostgres();
    const old = postgres(pg.url, { max: 1, onnotice: () => {} });
    const warnings: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => void warnings.push(l), colour: false });
    const config = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
    const store = openPgStore(pg.url);
    const ledger = new Ledger(store, () => config, log);
    try {
      await old.unsafe(OLD_TABLE);
      await old.unsafe(
        `INSERT INTO ccp_usage VALUES ('req_old', 1000, 'sess_old', 'c', 'up/m', 'explicit', 'up',
          'm', NULL, 200, false, true, 10, 5, 0, 0, NULL, 12.5, NULL)`,
      );
      const before = await store.session("sess_old");
      assert.equal(before.latest?.id, "req_old");
      assert.equal(before.latest?.passed, undefined);
      assert.equal(before.totals.requests, 1);

      const passedNote = { target: "claude/claude-opus-5-5", why: "key cooling", until: 5_000 };
      ledger.ended(servedRecord({ id: "req_new", session: "sess_new", passedNote }));
      await ledger.flush();
      assert.deepEqual(warnings, []);
      assert.equal(ledger.pending, 0);
      const after = await store.session("sess_new");
      assert.deepEqual(after.latest?.passed, passedNote);
      const column = await old`SELECT column_name FROM information_schema.columns
        WHERE table_name = 'ccp_usage' AND column_name = 'passed'`;
      assert.equal(column.length, 1);
    } finally {
      await ledger.close();
      await old.end({ timeout: 2 });
      await pg.stop();
      await pg.remove();
    }
  },
});
