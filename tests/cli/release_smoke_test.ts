/** scripts/smoke/smoke.ts, the release's check of each built binary, run against ccp from source. */

import assert from "node:assert/strict";
import { childEnv, inTempDir, ROOT, startTaskFlags } from "./helpers.ts";

Deno.test({
  name: "the release smoke test reaches the modules ccp loads lazily: a translator, the tokenizer",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await inTempDir("ccp_release_smoke_", async (dir) => {
      const ccp = [
        Deno.execPath(),
        "run",
        ...await startTaskFlags(),
        "--config",
        `${ROOT}/deno.json`,
        `${ROOT}/src/main.ts`,
      ];
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", `${ROOT}/scripts/smoke/smoke.ts`, ...ccp],
        env: childEnv(dir),
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      // A module deno compile left out fails only when it is first imported: each one the
      // binary can load must be loaded here, before the release is published.
      assert.match(text, /POST \/v1\/messages through the mock: ok/);
      assert.match(text, /POST \/v1\/messages translated for an OpenAI-compatible upstream: ok/);
      assert.match(text, /POST \/v1\/messages\/count_tokens with the o200k tokenizer: \d+ tokens/);
    });
  },
});
