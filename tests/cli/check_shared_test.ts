/** `ccp check` says whether the shared engines a config names answer, without failing the check. */

import assert from "node:assert/strict";
import { runCheck } from "../../src/cli/check.ts";
import { testContext } from "./helpers.ts";
import { closedPort } from "../helpers/ports.ts";

Deno.test({
  name: "ccp check: unreachable Redis and PostgreSQL are named, and the config is still OK",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_check_shared_" });
    try {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `shared:
  redis: "redis://127.0.0.1:${closedPort()}/0"
  postgres: "postgres://ccp:secret-pw@127.0.0.1:${closedPort()}/ccp"
  on_unavailable: closed
clients:
  - { name: alice, token: alice-token-0123456789 }
  - { name: ci, token: ci-token-0123456789abc, routes: [haiku, default] }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-0123456789 }
routes:
  default: up/m
`,
      );
      const ctx = testContext(dir);
      assert.equal(await runCheck(ctx, { config: "c.yaml" }), 0);
      const out = ctx.io.stdout.join("\n");
      assert.match(
        out,
        /Shared with other instances: Redis .* PostgreSQL .*; while one is away: answer 503/,
      );
      assert.match(
        out,
        /Redis at redis:\/\/127\.0\.0\.1:\d+\/0: does NOT answer now \(instances answer 503/,
      );
      assert.match(
        out,
        /PostgreSQL at postgres:\/\/ccp:\*\*\*@127\.0\.0\.1:\d+\/ccp: does NOT answer now/,
      );
      assert.match(
        out,
        / {2}alice: token …6789; every route\n {2}ci: token …9abc; routes haiku, default/,
      );
      assert.doesNotMatch(out, /secret-pw|alice-token-0123456789/);
      assert.match(out, /Config OK/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
