/**
 * What a user of the real, interactive Claude Code (driven in tmux) does that `claude -p` never
 * does, through ccp on a translated provider, in one session: `/model` lists ccp's routes,
 * aliases and provider models and a pick is saved and served; an image pasted as a file path
 * reaches the upstream; `/context` shows the usage ccp reported against the window `ccp code`
 * sets; `/cost` shows that usage under the picked name; and once the picked alias is gone from
 * the config, Claude Code says so and asks for another pick instead of being served by the
 * default route. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { PNG_1X1 } from "../helpers/claude_print.ts";
import {
  screen,
  startClaudeTui,
  tmux,
  tmuxAndClaude,
  tuiPlace,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { codeEnv } from "../../src/cli/code_setup.ts";
import type { Config } from "../../src/config/types.ts";

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;

/** A Chat upstream that names the model it was asked for and reports a 30k-token prompt. */
function startChat() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const usage = {
      prompt_tokens: 30_000,
      completion_tokens: 40,
      total_tokens: 30_040,
      prompt_tokens_details: { cached_tokens: 20_000 },
    };
    const events = [
      chatChunk({ role: "assistant", content: `Answer ${bodies.length} from ${body.model}.` }),
      chatChunk({}, "stop"),
    ];
    return chatStreamAnswer(events, usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

function config(url: string, aliases: Record<string, string>): Config {
  const up = provider("up", {
    type: "openai",
    baseUrl: url,
    maxRetries: 0,
    models: ["small-model", "big-model"],
    modelSettings: {
      "small-model": { contextWindow: 128_000, maxOutputTokens: 8192 },
      "big-model": { contextWindow: 200_000, maxOutputTokens: 16_000 },
    },
  });
  return testConfig({ providers: [up], routes: { default: "up/small-model" }, aliases });
}

/** The `/model` picker's line under its cursor (while it is open, the first with the mark). */
async function cursorLine(session: string): Promise<string | undefined> {
  return (await screen(session)).split("\n").find((l) => l.includes("❯"));
}

/**
 * Moves the `/model` picker's cursor down to the entry `label`, one key at a time: each Down is
 * sent only once the last one has been drawn, since keys sent ahead of a slow redraw (a loaded
 * machine) move the cursor past the entry.
 */
async function selectEntry(session: string, label: RegExp): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const line = await cursorLine(session);
    if (line && label.test(line)) return;
    await tmux("send-keys", "-t", session, "Down");
    for (let waited = 0; waited < 5000 && (await cursorLine(session)) === line; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the picker never reached ${label}:\n${await screen(session)}`);
}

Deno.test({
  name: "real Claude Code in tmux through ccp: /model picks an alias, a pasted image, /context, " +
    "/cost, and a pick whose alias is gone",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-tui-commands");
    const up = startChat();
    const cfg = config(up.url, { fast: "up/big-model" });
    const ccp = await startGuardedCcp(cfg);
    try {
      const { home, work, session } = place;
      await Deno.writeFile(
        `${work}/shot.png`,
        Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
      );
      await startClaudeTui(place, ccp.url, { CLAUDE_CODE_MAX_RETRIES: "0", ...codeEnv(cfg) });

      // 1. /model lists what GET /v1/models answered; the alias is picked and saved.
      await typeLine(session, "/model");
      await waitForScreen(session, /fast \(up\/big-model\)\s+From gateway/, 10_000);
      const picker = await screen(session);
      for (const entry of ["default (up/small-model)", "small-model (up)", "big-model (up)"]) {
        assert.ok(picker.includes(entry), `${entry} missing from the picker:\n${picker}`);
      }
      await selectEntry(session, /fast \(up\/big-model\)/);
      await tmux("send-keys", "-t", session, "Enter");
      await waitForScreen(session, /Set model to fast \(up\/big-model\)/, 5000);
      const saved = JSON.parse(await Deno.readTextFile(`${home}/.claude/settings.json`));
      assert.equal(saved.model, "claude-ccp/fast");

      // 2. An image pasted as a file path goes up with the prompt, to the picked model.
      // Pasted, as a terminal pastes a dragged file: Claude Code attaches an image path.
      await tmux("set-buffer", "-b", session, `${work}/shot.png`);
      await tmux("paste-buffer", "-p", "-d", "-b", session, "-t", session);
      await waitForScreen(session, /\[Image #1\]/, 5000);
      await typeLine(session, " what is this");
      await waitForScreen(session, /Answer 1 from big-model\./, 10_000);
      assert.equal(up.bodies.length, 1);
      const first = up.bodies[0]!;
      assert.equal(first.model, "big-model");
      const asked = JSON.stringify((first.messages as Obj[]).at(-1));
      assert.match(asked, /"image_url".*data:image\/png;base64,/);
      assert.match(asked, /what is this/);

      // 3. /context: the reported prompt (10k new + 20k cache reads) of the window ccp code set.
      await typeLine(session, "/context");
      await waitForScreen(session, /claude-ccp\/fast[\s\S]*30k\/128k tokens/, 10_000);

      // 4. /cost: the same usage, under the name picked.
      await typeLine(session, "/cost");
      await waitForScreen(
        session,
        /claude-ccp\/fast:\s+10\.0k input, 40 output, 20\.0k cache read/,
        10_000,
      );
      await tmux("send-keys", "-t", session, "Escape");
      await waitForScreen(session, /auto mode on|shift\+tab/, 5000);

      // 5. The alias leaves the config: the saved pick is refused as an unknown model, and Claude
      // Code asks for another pick; no request reaches the default route's model.
      ccp.setConfig(config(up.url, {}));
      await typeLine(session, "once more");
      await waitForScreen(
        session,
        /issue with the selected model \(claude-ccp\/fast\)[\s\S]*Run \/model/,
        10_000,
      );
      assert.equal(up.bodies.length, 1);
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});
