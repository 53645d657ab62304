/**
 * `ccp settings install` with the real Claude Code CLI: a plain `claude -p`, with no
 * ANTHROPIC_* variable in its environment, reaches ccp and the upstream behind it; after
 * `ccp settings uninstall` it does not. Skipped without `claude`.
 */

import assert from "node:assert/strict";
import { runSettings } from "../../src/cli/settings.ts";
import { loadCliConfig } from "../../src/cli/load.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { CLAUDE_QUIET, findClaude, runClaude } from "../helpers/claude.ts";
import { claudeWorkspace } from "../helpers/claude_print.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { childEnv, denoCacheDir, runCcp, testContext } from "../cli/helpers.ts";
import { closedPort } from "../helpers/ports.ts";

const claude = await findClaude();
const TOKEN = "e2e-settings-token-0123";
const UPSTREAM_KEY = "sk-up-e2e-settings-0123";

/** A Claude workspace, an Anthropic mock that streams one answer, and a ccp config in its home. */
async function stage(prefix: string) {
  const ws = await claudeWorkspace(prefix);
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("served-model", 2) }]);
  const yaml = `${ws.home}/ccp.yaml`;
  await Deno.writeTextFile(
    yaml,
    `server: { auth_token: ${TOKEN} }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: ${UPSTREAM_KEY} }
routes:
  default: up/served-model
`,
  );
  return { ws, mock, yaml };
}

Deno.test({
  name: "ccp settings: a plain claude reaches ccp after install, and no longer after uninstall",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { ws, mock, yaml } = await stage("ccp-settings-e2e-");
    const ctx = testContext(ws.home, { cwd: ws.work });
    const ccp = await startGuardedCcp(await loadCliConfig(ctx, { config: yaml }));
    const flags = { config: yaml, port: Number(new URL(ccp.url).port) };
    // Claude Code's own environment: a home of its own, quiet, no ANTHROPIC_* variable.
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: ws.home,
      ...CLAUDE_QUIET,
      CLAUDE_CODE_MAX_RETRIES: "0",
    };
    const run = async (...args: string[]) => {
      const out = await runClaude(["-p", "say hi", ...args], ws.work, env, 60_000);
      const dec = new TextDecoder();
      return { code: out.code, text: `${dec.decode(out.stdout)}\n${dec.decode(out.stderr)}` };
    };
    try {
      assert.equal(await runSettings(ctx, "install", flags), 0, ctx.io.stdout.join("\n"));
      assert.match(ctx.io.stdout.join("\n"), /ccp is running at http:\/\/127\.0\.0\.1:\d+/);
      const status = testContext(ws.home, { cwd: ws.work });
      assert.equal(await runSettings(status, "status", flags), 0, status.io.stdout.join("\n"));
      assert.match(status.io.stdout.join("\n"), /Claude Code goes to this ccp/);
      const reached = await run();
      assert.equal(reached.code, 0, reached.text);
      assert.match(reached.text, /token0 token1/);
      const asked = mock.requests.filter((r) => r.path === "/v1/messages");
      assert.ok(asked.length > 0, "the upstream was asked");
      assert.equal(asked.at(-1)?.body?.model, "served-model");
      // The upstream got the provider's key, never ccp's token (which Claude Code sent to ccp).
      assert.equal(asked.at(-1)?.headers.get("x-api-key"), UPSTREAM_KEY);
      assert.ok(ccp.logs.some((line) => line.includes("up/served-model")), ccp.logs.join("\n"));

      // Run as the VS Code extension runs it: its entrypoint, JSON lines in and out.
      const ide = await new Deno.Command("claude", {
        args: [
          "-p",
          "--input-format",
          "stream-json",
          "--output-format",
          "stream-json",
          "--verbose",
        ],
        cwd: ws.work,
        env: { ...env, CLAUDE_CODE_ENTRYPOINT: "claude-vscode" },
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).spawn();
      const writer = ide.stdin.getWriter();
      await writer.write(
        new TextEncoder().encode(
          `${
            JSON.stringify({ type: "user", message: { role: "user", content: "hi from vs code" } })
          }\n`,
        ),
      );
      await writer.close();
      const ideOut = await ide.output();
      const ideText = new TextDecoder().decode(ideOut.stdout);
      assert.equal(ideOut.code, 0, ideText + new TextDecoder().decode(ideOut.stderr));
      assert.match(ideText, /"result":"token0 token1/);
      const asked2 = mock.requests.filter((r) => r.path === "/v1/messages");
      assert.ok(asked2.length > asked.length, "the IDE's run reached the upstream too");

      // What `ccp code` gives with --settings outranks the file: its run goes where it says.
      const elsewhere = `http://127.0.0.1:${closedPort()}`;
      const redirected = await run(
        "--settings",
        JSON.stringify({ env: { ANTHROPIC_BASE_URL: elsewhere } }),
      );
      assert.notEqual(redirected.code, 0, redirected.text);
      assert.equal(mock.requests.filter((r) => r.path === "/v1/messages").length, asked2.length);

      assert.equal(
        await runSettings(testContext(ws.home, { cwd: ws.work }), "uninstall", flags),
        0,
      );
      const before = mock.requests.length;
      const after = await run();
      assert.notEqual(after.code, 0, after.text);
      assert.equal(mock.requests.length, before, "nothing reached ccp's upstream after uninstall");
    } finally {
      await ccp.close();
      await mock.close();
      await ws.remove();
    }
  },
});

Deno.test({
  name: "ccp code still runs claude against its own ccp when the settings point elsewhere",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { ws, mock, yaml } = await stage("ccp-settings-code-e2e-");
    try {
      // Installed for a ccp on another port (and with another token), where nothing runs now.
      await Deno.mkdir(`${ws.home}/.claude`);
      await Deno.writeTextFile(
        `${ws.home}/.claude/settings.json`,
        JSON.stringify({
          env: {
            ANTHROPIC_BASE_URL: `http://127.0.0.1:${closedPort()}`,
            ANTHROPIC_AUTH_TOKEN: "another-ccps-token",
          },
        }),
      );
      const env = childEnv(ws.home, {
        HOME: ws.home,
        DENO_DIR: await denoCacheDir(),
        ...CLAUDE_QUIET,
        CLAUDE_CODE_MAX_RETRIES: "0",
      });
      const out = await runCcp(
        ["code", "--config", yaml, "--port", "0", "--", "-p", "say hi"],
        { cwd: ws.work, env, timeoutMs: 60_000 },
      );
      assert.match(
        out.stderr,
        /settings\.json sets ANTHROPIC_AUTH_TOKEN, and Claude Code takes it/,
      );
      // The address came from ccp code's --settings, the token from the file: ccp refused it,
      // so the upstream was never asked, but the request reached this ccp and not the file's.
      assert.notEqual(out.code, 0, out.stdout + out.stderr);
      assert.equal(mock.requests.length, 0);
      const log = await Deno.readTextFile(`${ws.home}/xdg-data/ccp/ccp.log`);
      assert.match(log, /Refused .*wrong ccp token \(it sent another token\)/, log);
      // With the file's token made this ccp's, ccp code's run goes through.
      await Deno.writeTextFile(
        `${ws.home}/.claude/settings.json`,
        JSON.stringify({
          env: {
            ANTHROPIC_BASE_URL: `http://127.0.0.1:${closedPort()}`,
            ANTHROPIC_AUTH_TOKEN: TOKEN,
          },
        }),
      );
      const ok = await runCcp(
        ["code", "--config", yaml, "--port", "0", "--", "-p", "say hi"],
        { cwd: ws.work, env, timeoutMs: 60_000 },
      );
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /token0 token1/);
      assert.equal(mock.requests.at(-1)?.body?.model, "served-model");
    } finally {
      await mock.close();
      await ws.remove();
    }
  },
});
