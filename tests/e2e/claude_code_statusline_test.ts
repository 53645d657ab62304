/**
 * `ccp code` with the real, interactive Claude Code CLI in tmux: the proxy starts in-process and
 * logs to a file (not to Claude Code's screen), and Claude Code's status line — `ccp statusline`,
 * wired in by `ccp code` — shows the provider/model that served the request; as claude exits, ccp
 * names the command that resumes the session through it. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { childEnv, MAIN, ROOT } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { CLAUDE_QUIET } from "../helpers/claude.ts";
import {
  claudeDirs,
  endSession,
  startSession,
  tempDir,
  tmux,
  tmuxAndClaude,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";

const ready = await tmuxAndClaude();

/** The pane with its wrapped lines joined, once it matches `pattern`; throws after `ms`. */
async function joinedScreen(session: string, pattern: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let text = "";
  while (Date.now() < deadline) {
    text = new TextDecoder().decode((await tmux("capture-pane", "-p", "-J", "-t", session)).stdout);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the screen never matched ${pattern}:\n${text}`);
}

Deno.test({
  name: "ccp code: Claude Code's status line shows the provider/model that served the session",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-code-tmux-");
    const dir = tmp.path;
    const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 2) }]);
    const session = `ccp-code-${Date.now()}`;
    try {
      const { home, work } = await claudeDirs(dir);
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/served-model
`,
      );
      // Claude Code gets its own home; deno (ccp and its status line) keeps the real cache.
      const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
      const env = childEnv(dir, {
        HOME: home,
        CLAUDE_CODE_TMPDIR: home,
        DENO_DIR: denoDir,
        ...CLAUDE_QUIET,
      });
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        "--config",
        `${ROOT}/deno.json`,
        MAIN,
        "code",
        "--config",
        `${dir}/c.yaml`,
        "--port",
        "0",
      ];
      await startSession(session, work, env, command);
      // The pane stays once ccp code exits, with what it printed last.
      await tmux("set-option", "-t", session, "remain-on-exit", "on");
      await waitForScreen(session, /❯/, 30_000);
      await typeLine(session, "say hi");
      const shown = await waitForScreen(session, /ccp ▸ up\/served-model/, 30_000);
      assert.ok(!/listening on/.test(shown), "the proxy's log stays out of Claude Code's screen");
      assert.equal(mock.requests.at(-1)?.body?.model, "served-model");
      const log = await Deno.readTextFile(`${dir}/xdg-data/ccp/ccp.log`);
      assert.match(log, /listening on/);
      assert.match(log, /→ up\/served-model 200/);
      // Claude Code prints `claude --resume <id>` as it exits, which would leave ccp out: ccp
      // says the command that resumes that same session through it.
      await typeLine(session, "/exit");
      const said = /ccp: resume this session through ccp with: .*\n/;
      const joined = await joinedScreen(session, said, 15_000);
      const id = /claude --resume ([0-9a-f-]{36})/.exec(joined)?.[1];
      assert.ok(id, joined);
      assert.match(
        joined,
        new RegExp(
          `ccp: resume this session through ccp with: .* code --config ${dir}/c\\.yaml ` +
            `--port 0 --resume ${id}\n`,
        ),
      );
    } finally {
      await endSession(session);
      await mock.close();
    }
  },
});
