/**
 * `--since` past what a date can hold (`999999999d`, a long string of digits) is a usage error
 * that says so, in `ccp usage` and in `GET /v1/ccp/usage`, never a crash.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";

const TOKEN = "ccp-since-test";

Deno.test("usage: a --since too far back is a usage error, not a crash", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_since_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: anth/m
`,
    );
    for (const since of ["999999999d", "99999999999999999999w"]) {
      const ctx = testContext(dir);
      const code = await runCli(["usage", "--config", "c.yaml", "--since", since], ctx);
      assert.equal(code, 2, ctx.io.stderr.join("\n"));
      assert.match(ctx.io.stderr.join("\n"), /--since: expected 24h, 7d, 30d/);
      assert.deepEqual(ctx.io.stdout, []);
    }
    // The longest span a date holds still answers: everything since then.
    const wide = testContext(dir);
    assert.equal(await runCli(["usage", "--config", "c.yaml", "--since", "10000w"], wide), 0);

    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const res = await fetch(`${server.url}/v1/ccp/usage?since=999999999d`, {
        headers: { "x-api-key": TOKEN },
      });
      const body = await res.json();
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error.type, "invalid_request_error");
      assert.match(body.error.message, /since: expected 24h, 7d, 30d/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
