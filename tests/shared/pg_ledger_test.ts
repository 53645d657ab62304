/**
 * Three ccp instances sharing one ledger in a real PostgreSQL: every request recorded exactly
 * once, budgets spent through two instances hold on the third, and PostgreSQL going away and
 * coming back in `open` and `closed` modes.
 */

import assert from "node:assert/strict";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import postgres from "postgres";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { PG_MISSING, startPostgres, until } from "./engines.ts";
import { openPgStore } from "../../src/usage/pg_store.ts";
import type { Config } from "../../src/config/types.ts";
import { silentLogger } from "../../src/core/log.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { servedRecord } from "../helpers/records.ts";
import { postMessages } from "../helpers/ccp.ts";

function answer() {
  return {
    kind: "json" as const,
    body: textMessage("m", { input_tokens: 300, output_tokens: 50 }),
  };
}

async function send(url: string, model = "claude-sonnet-4-5", session = "s") {
  const res = await postMessages(url, {
    model,
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  }, { "x-claude-code-session-id": session });
  return { status: res.status, body: await res.json() };
}

// One cluster for the four scenarios (initdb and its start are most of a scenario's cost), each
// in a database of its own; the ones that stop PostgreSQL start it again before the next.
Deno.test({
  name: "shared.postgres",
  ignore: PG_MISSING !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const cluster = await startPostgres();
    let up = true;
    const pg = {
      stop: async () => {
        up = false;
        await cluster.stop();
      },
      start: async () => {
        await cluster.start();
        up = true;
      },
    };
    let databases = 0;
    /** A new empty database (a scenario that failed with PostgreSQL away left it stopped). */
    const fresh = async () => {
      if (!up) await pg.start();
      const name = `scenario_${++databases}`;
      const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return cluster.url.replace(/\/postgres$/, `/${name}`);
    };
    try {
      await t.step(
        "shared.postgres: three instances, one ledger, shared budgets, outages in open and closed mode",
        async () => {
          const url = await fresh();
          const mock = startAnthropicMock([answer()]);
          const dir = await Deno.makeTempDir({ prefix: "ccp_pg_ledger_" });
          const config = (mode: string) =>
            `server: { data_dir: data }
shared: { postgres: "${url}", on_unavailable: ${mode} }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
  spare: { type: anthropic, base_url: "${mock.url}", api_key: sk-spare-0123456789 }
routes:
  default: [up/main, spare/backup]
budgets:
  - { target: up, tokens: 2000, per: day }
`;
          await Deno.writeTextFile(`${dir}/open.yaml`, config("open"));
          await Deno.writeTextFile(`${dir}/closed.yaml`, config("closed"));
          const servers = await Promise.all(
            ["open.yaml", "open.yaml", "closed.yaml"].map((file) =>
              startServer({ ctx: testContext(dir), flags: { config: file, port: 0 } })
            ),
          );
          const sql = postgres(url, { max: 1, onnotice: () => {} });
          const [a, b, closed] = servers as [
            typeof servers[0],
            typeof servers[0],
            typeof servers[0],
          ];
          try {
            // 350 tokens each: five requests through two instances spend the 2,000-token budget.
            for (const s of [a, b, a, b, a]) assert.equal((await send(s.url)).status, 200);
            const rows = async () => Number((await sql`SELECT count(*) AS n FROM ccp_usage`)[0]!.n);
            await until(async () => (await rows()) === 5, 2000, "five records in PostgreSQL");
            const byProvider =
              await sql`SELECT provider, count(*)::int AS n, sum(input_tokens)::int AS input
        FROM ccp_usage GROUP BY provider`;
            assert.deepEqual(byProvider.map((r) => [r.provider, r.n, r.input]), [["up", 5, 1500]]);
            // The third instance never served a request, and routes away within a second.
            await until(
              async () => {
                const r = await send(closed.url);
                return r.status === 200 &&
                  (await sql`SELECT provider FROM ccp_usage ORDER BY at DESC LIMIT 1`)[0]!
                      .provider ===
                    "spare";
              },
              3000,
              "the third instance skipping the spent target",
            );
            const health = await (await fetch(`${a.url}/health`)).json();
            assert.deepEqual(health.shared, { postgres: { reachable: true } });

            // PostgreSQL goes away.
            await pg.stop();
            const lost = await until(
              async () => (await send(closed.url)).status === 503,
              5000,
              "closed mode answering 503",
            );
            const refused = await send(closed.url);
            assert.match(
              refused.body.error.message,
              /PostgreSQL at .* \(shared\.postgres\) is unreachable/,
            );
            assert.equal((await send(a.url)).status, 200, "open mode keeps serving");
            assert.equal((await send(b.url)).status, 200);
            await until(
              async () =>
                (await (await fetch(`${a.url}/health`)).json()).shared.postgres.reachable === false,
              5000,
              "/health saying so",
            );
            // It comes back: the records kept in memory are written, closed mode serves again.
            await pg.start();
            const back = await until(
              async () => (await send(closed.url)).status === 200,
              10_000,
              "closed mode serving again",
            );
            await until(
              async () => (await rows()) >= 9,
              5000,
              "the records kept during the outage written",
            );
            const ids =
              await sql`SELECT count(DISTINCT id)::int AS n, count(*)::int AS all FROM ccp_usage`;
            assert.equal(ids[0]!.n, ids[0]!.all, "no record written twice");
            assert.ok(
              lost <= 5000 && back <= 10_000,
              `503 after ${lost} ms, back after ${back} ms`,
            );
          } finally {
            await sql.end({ timeout: 1 }).catch(() => {});
            for (const s of servers) await s.stop();
            await mock.close();
            await Deno.remove(dir, { recursive: true });
          }
        },
      );

      await t.step(
        "shared.postgres: instances starting together on a fresh database all find it reachable",
        async () => {
          const url = await fresh();
          const admin = postgres(url, { max: 1, onnotice: () => {} });
          try {
            // Each round: no table yet, four instances' first ping (which creates it) at once. Without
            // taking turns, PostgreSQL refused ~1 in 3 of them (a unique violation in its catalog).
            for (let round = 0; round < 5; round++) {
              await admin`DROP TABLE IF EXISTS ccp_usage`;
              const stores = [0, 1, 2, 3].map(() => openPgStore(url));
              try {
                assert.deepEqual(await Promise.all(stores.map((s) => s.ping())), [
                  true,
                  true,
                  true,
                  true,
                ]);
              } finally {
                for (const store of stores) store.close();
              }
            }
          } finally {
            await admin.end();
          }
        },
      );

      await t.step(
        "shared.postgres: after a long outage the store answers again within seconds of its return",
        async () => {
          const url = await fresh();
          const store = openPgStore(url);
          try {
            assert.equal(await store.ping(), true);
            await pg.stop();
            // The monitor's pings while it is away: each failed connection grows the client's wait
            // before the next one, which must not outlast /health's five seconds once it is back.
            const down = Date.now();
            while (Date.now() - down < 12_000) {
              assert.equal(await store.ping(), false);
              await new Promise((r) => setTimeout(r, 250));
            }
            await pg.start();
            const took = await until(() => store.ping(), 15_000, "the store answering again");
            assert.ok(took < 2_500, `answered again only after ${took} ms`);
          } finally {
            store.close();
          }
        },
      );

      await t.step(
        "shared.postgres: the records kept through an outage are written in one go once it is back",
        async () => {
          const url = await fresh();
          const store = openPgStore(url);
          try {
            // What the ledger holds after some minutes without PostgreSQL: one batch of thousands. As
            // one statement it had more parameters than PostgreSQL takes, and failed on every retry.
            const at = Date.now();
            const entries = Array.from({ length: 5000 }, (_, i) => ({
              id: `req_outage_${i}`,
              at: at + i,
              session: "s-outage",
              client: "default",
              route: "default",
              provider: "up",
              model: "main",
              status: 200,
              error: false,
              stream: true,
              inputTokens: 10,
              outputTokens: 1,
              cacheReadTokens: 0,
              cacheWriteTokens: 0,
              durationMs: 1,
            }));
            await store.append(entries);
            assert.equal((await store.totals(at, {})).requests, 5000);
            // Tried again (a write that failed part-way): nothing counts twice.
            await store.append(entries);
            assert.equal((await store.session("s-outage")).totals.requests, 5000);
          } finally {
            store.close();
          }
        },
      );

      await t.step(
        "shared.postgres: a budget a reload adds counts this instance's records not yet written",
        async () => {
          const url = await fresh();
          const base = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
          let bConfig: Config = base;
          const a = new Ledger(openPgStore(url), () => base, silentLogger);
          const b = new Ledger(openPgStore(url), () => bConfig, silentLogger);
          try {
            await Promise.all([a.start(), b.start()]);
            a.ended(servedRecord({ id: "req_a" })); // 15 tokens through the other instance
            await a.flush();
            b.ended(servedRecord({ id: "req_b" })); // 15 tokens here, queued for ~0.1 s
            // The budget comes with a reload while b's record waits to be written.
            bConfig = {
              ...base,
              budgets: [{ provider: "up", tokens: 100, per: "day", routeAwayAt: 1 }],
            };
            const spent = () => b.budgets().states()[0]!.spent;
            assert.equal(spent(), 0, "not read yet");
            // Its first read, as soon as it lands, counts both: not only what PostgreSQL had.
            for (const start = Date.now(); spent() === 0 && Date.now() - start < 5000;) {
              await new Promise((r) => setTimeout(r, 5));
            }
            assert.equal(spent(), 30);
            await b.flush();
            await new Promise((r) => setTimeout(r, 1200)); // a refresh after the write: once
            assert.equal(spent(), 30);
          } finally {
            await Promise.all([a.close(), b.close()]);
          }
        },
      );
    } finally {
      await cluster.remove();
    }
  },
});
