/**
 * A spawned ccp given another HOME (as tests of Claude Code's settings files do) runs on the test
 * run's deno cache: one under that HOME starts empty, and ccp then downloaded its ~30 MB of
 * packages on every run, within the seconds a test gives it to exit.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, NOWHERE_YAML, runCcp } from "./helpers.ts";

Deno.test("a spawned ccp with another HOME fills no deno cache under it", async () => {
  await inTempDir("ccp_spawn_cache_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    await Deno.mkdir(`${dir}/home`);
    const env = childEnv(dir, { HOME: `${dir}/home`, OLLAMA_BASE_URL: "http://127.0.0.1:9" });
    // `check` loads the config through the npm packages (yaml, zod), as `code` and `serve` do.
    const result = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Config OK/);
    const made = await Deno.stat(`${dir}/home/.cache/deno`).then(() => true, () => false);
    assert.equal(made, false, "the child used a deno cache under its HOME");
  });
});
