/**
 * `ccp usage` over a shared ledger whose PostgreSQL does not answer: exit 1 with one line naming
 * the database and the cause, as for an embedded ledger that cannot be opened; no stack trace.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { closedPort } from "../helpers/ports.ts";

Deno.test({
  name: "ccp usage: a PostgreSQL ledger that is down is one error line, exit 1",
  // postgres.js keeps a reconnect timer of its own past sql.end().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_usage_pg_down_" });
    try {
      const port = closedPort();
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `shared: { postgres: "postgres://ccp:s3cret@127.0.0.1:${port}/ccp" }
providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: anth/m
`,
      );
      const ctx = testContext(dir);
      const code = await runCli(["usage", "--config", "c.yaml"], ctx);
      const said = ctx.io.stderr.join("\n");
      assert.equal(code, 1, said);
      assert.match(
        said,
        new RegExp(
          `^ccp: cannot read the usage ledger: PostgreSQL at postgres://ccp:\\S*@127\\.0\\.0\\.1:${port}/ccp: .*ECONNREFUSED`,
        ),
      );
      assert.ok(!said.includes("s3cret"), said);
      assert.deepEqual(ctx.io.stdout, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "/v1/ccp/usage and a session's usage: a PostgreSQL ledger that is down is a 503, no stack",
  // postgres.js keeps a reconnect timer of its own past sql.end().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_usage_pg_down_srv_" });
    try {
      const port = closedPort();
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `server: { data_dir: data }
shared: { postgres: "postgres://ccp@127.0.0.1:${port}/ccp" }
providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: anth/m
`,
      );
      const ctx = testContext(dir);
      const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
      try {
        // The status line asks for its session at every turn of a `ccp code` session.
        for (const path of ["/v1/ccp/usage?since=24h", "/v1/ccp/usage/session/s1"]) {
          const res = await fetch(`${server.url}${path}`);
          const body = await res.json();
          assert.equal(res.status, 503, `${path}: ${JSON.stringify(body)}`);
          assert.match(
            body.error.message,
            new RegExp(`The usage ledger does not answer: PostgreSQL at .*:${port}/ccp: `),
          );
        }
        assert.doesNotMatch(ctx.io.stderr.join("\n"), /Unhandled error|^\s+at /m);
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
