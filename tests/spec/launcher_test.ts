/**
 * The external contract's Claude Code launcher from outside: the spawned `ccp code` runs a fake
 * `claude` on PATH that prints what it was given.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp } from "../cli/helpers.ts";

const FAKE_CLAUDE = `#!/bin/sh
echo "BASE=$ANTHROPIC_BASE_URL"
echo "TOKEN=\${ANTHROPIC_AUTH_TOKEN-unset}"
echo "DISCOVERY=\${CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY-unset}"
echo "COMPACT=\${CLAUDE_CODE_AUTO_COMPACT_WINDOW-unset}"
echo "ARGS=$*"
echo "PWD=$(pwd)"
exit 3
`;

const config = (window: string) =>
  `server: { auth_token: tok-code-0123456789 }
providers:
  up:
    type: openai
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-0123456789
${window}routes:
  default: up/model-a
`;

Deno.test({
  name:
    "ccp code: claude gets the proxy's address and token, model discovery, the default route's window, its args, the user's directory and exit code",
  ignore: Deno.build.os === "windows",
  fn: () =>
    inTempDir("ccp-spec-code-", async (dir) => {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/claude`, FAKE_CLAUDE, { mode: 0o755 });
      await Deno.mkdir(`${dir}/project`);
      const env = childEnv(dir, { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}` });
      const windowed = "    model_settings: { model-a: { context_window: 200k } }\n";
      await Deno.writeTextFile(`${dir}/windowed.yaml`, config(windowed));
      await Deno.writeTextFile(`${dir}/plain.yaml`, config(""));
      for (const [file, compact] of [["windowed.yaml", "200000"], ["plain.yaml", "unset"]]) {
        const run = await runCcp(
          ["code", "--config", `${dir}/${file}`, "--port", "0", "--", "-p", "hello there"],
          { cwd: `${dir}/project`, env },
        );
        assert.equal(run.code, 3, run.stderr);
        assert.match(run.stdout, /^BASE=http:\/\/127\.0\.0\.1:\d+$/m);
        assert.match(run.stdout, /^TOKEN=tok-code-0123456789$/m);
        assert.match(run.stdout, /^DISCOVERY=1$/m);
        assert.match(run.stdout, new RegExp(`^COMPACT=${compact}$`, "m"), file);
        assert.match(run.stdout, /^ARGS=.*-p hello there$/m);
        assert.match(run.stdout, new RegExp(`^PWD=${dir}/project$`, "m"));
        // The in-process proxy logs to a file: at most the one line naming it reaches the screen.
        assert.ok(run.stderr.trim().split("\n").length <= 1, run.stderr);
      }
    }),
});
