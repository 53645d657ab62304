/**
 * /ui/state before any request: a provider's keys are counted ready from the config, not shown as
 * "0 / 0 / 0" until its first request builds its key pool.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";

const TOKEN = "ccp-ui-state-test";

Deno.test("/ui/state: unused providers show their configured keys as ready", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_uistate_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  two: { type: anthropic, base_url: "http://127.0.0.1:9", api_keys: [sk-ant-aaaa1111, sk-ant-bbbb2222] }
  local: { type: openai, base_url: "http://127.0.0.1:9/v1" }
routes:
  default: two/m
  haiku: local/q
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const res = await fetch(`${server.url}/ui/state`, { headers: { "x-api-key": TOKEN } });
      assert.equal(res.status, 200);
      const state = await res.json();
      const keys = (name: string) =>
        state.routes.find((r: { name: string }) => r.name === name).targets[0].keys;
      assert.deepEqual(keys("default"), { ready: 2, cooling: 0, blocked: 0 });
      assert.deepEqual(keys("haiku"), { ready: 1, cooling: 0, blocked: 0 });
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
