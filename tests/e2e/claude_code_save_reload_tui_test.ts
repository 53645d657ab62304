/**
 * `ccp code` running the real Claude Code in tmux while its config is saved. Interactive, Claude
 * Code redraws the whole terminal: a line ccp wrote there landed in its input box, vanished at the
 * next frame, or left pieces of itself in the frame's border. So the screen stays Claude Code's,
 * and the reload's lines are said after claude exits; each turn after a save goes to the saved
 * route, and the one after a save with a mistake to the route ccp kept. With `-p`, Claude Code
 * draws no screen and the line is said at once. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { childEnv, MAIN, ROOT } from "../cli/helpers.ts";
import { CLAUDE_QUIET } from "../helpers/claude.ts";
import {
  claudeDirs,
  endSession,
  screen,
  startSession,
  tmux,
  tmuxAndClaude,
  typeLine,
  until,
  waitForScreen,
} from "../helpers/tmux.ts";

const ready = await tmuxAndClaude();

/**
 * An Anthropic upstream named `name` that answers "Answer <n> from <name>" to a prompt with
 * TURN<n> in it; a prompt with HOLD in it waits for `release()` before its answer.
 */
function upstream(name: string) {
  const turns: string[] = [];
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let holding = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const text = await req.text();
    const model = String(JSON.parse(text).model);
    // The history repeats earlier turns: the latest prompt's is the last.
    const turn = [...text.matchAll(/TURN(\d)/g)].at(-1)?.[1];
    if (turn !== undefined) turns.push(turn);
    if (text.includes("HOLD")) {
      holding = true;
      await held;
    }
    const event = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const body = [
      event("message_start", {
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 0 },
        },
      }),
      event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      event("content_block_delta", {
        index: 0,
        delta: { type: "text_delta", text: `Answer ${turn ?? "0"} from ${name}` },
      }),
      event("content_block_stop", { index: 0 }),
      event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 4 },
      }),
      event("message_stop", {}),
    ].join("");
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    turns,
    holding: () => holding,
    release,
    close: async () => {
      release();
      await server.shutdown();
    },
  };
}

type Upstream = ReturnType<typeof upstream>;

function yaml(alpha: Upstream, beta: Upstream, target: string): string {
  return `providers:
  alpha: { type: anthropic, base_url: "${alpha.url}", api_key: sk-alpha-0123456789 }
  beta: { type: anthropic, base_url: "${beta.url}", api_key: sk-beta-0123456789 }
routes:
  default: ${target}
`;
}

/** A temp dir with a config routing to alpha, and `ccp code <args>` started in tmux there. */
async function session(name: string, claudeArgs: readonly string[]) {
  const dir = await Deno.makeTempDir({ prefix: `ccp-${name}-` });
  const alpha = upstream("alpha");
  const beta = upstream("beta");
  const file = `${dir}/c.yaml`;
  const id = `ccp-${name}-${Date.now()}`;
  const close = async () => {
    await endSession(id);
    await alpha.close();
    await beta.close();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await Deno.writeTextFile(file, yaml(alpha, beta, "alpha/a-model"));
    const { home, work } = await claudeDirs(dir);
    // Claude Code gets its own home; deno (ccp and its status line) keeps the real cache.
    const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
    const env = childEnv(dir, {
      HOME: home,
      CLAUDE_CODE_TMPDIR: home,
      DENO_DIR: denoDir,
      ...CLAUDE_QUIET,
    });
    await startSession(id, work, env, [
      Deno.execPath(),
      "run",
      "-A",
      "--config",
      `${ROOT}/deno.json`,
      MAIN,
      "code",
      "--config",
      file,
      "--port",
      "0",
      ...claudeArgs,
    ]);
    // What ccp prints once claude has exited stays on the screen.
    await tmux("set-option", "-t", id, "remain-on-exit", "on");
  } catch (e) {
    // Set-up failed: the caller's `finally` never gets `close`.
    await close();
    throw e;
  }
  const log = () => Deno.readTextFile(`${dir}/xdg-data/ccp/ccp.log`).catch(() => "");
  /** Saves the config routing to `target` and waits until ccp's log says the reload matched. */
  const save = async (target: string, logged: RegExp) => {
    const before = (await log()).match(new RegExp(logged, "g"))?.length ?? 0;
    await Deno.writeTextFile(file, yaml(alpha, beta, target));
    const deadline = Date.now() + 5_000;
    while (((await log()).match(new RegExp(logged, "g"))?.length ?? 0) === before) {
      if (Date.now() > deadline) throw new Error(`the log never said ${logged}:\n${await log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Waits until `ccp code` has exited and returns what the pane shows then. */
  const exited = async () => {
    const dead = async () =>
      new TextDecoder().decode((await tmux("display", "-p", "-t", id, "#{pane_dead}")).stdout);
    const deadline = Date.now() + 10_000;
    while ((await dead()).trim() !== "1") {
      if (Date.now() > deadline) throw new Error(`ccp code never exited:\n${await screen(id)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await screen(id);
  };
  return { id, alpha, beta, save, exited, close };
}

const SAVED = /Config file saved, reloaded\. Changed: route default changed/;
const FAILED = /Config reload failed; keeping the previous config\./;

Deno.test({
  name: "ccp code, interactive: saves reload without a line on Claude Code's screen, said at exit",
  ignore: !ready || Deno.build.os === "windows",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const s = await session("tui-save", []);
    try {
      await waitForScreen(s.id, /❯/, 15_000);
      await typeLine(s.id, "question TURN1");
      await waitForScreen(s.id, /Answer 1 from alpha/, 10_000);

      await s.save("beta/b-model", SAVED);
      // Written to the terminal, the line would sit in the input box until the next frame.
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(await screen(s.id), /ccp: /);
      await typeLine(s.id, "question TURN2");
      await waitForScreen(s.id, /Answer 2 from beta/, 10_000);

      await s.save("gamma/nope", FAILED);
      await new Promise((r) => setTimeout(r, 300));
      const afterBad = await screen(s.id);
      assert.doesNotMatch(afterBad, /ccp: /);
      // The frame is whole: its border is not broken by pieces of a line.
      assert.doesNotMatch(afterBad, /providers entry─/);
      await typeLine(s.id, "question TURN3");
      await waitForScreen(s.id, /Answer 3 from beta/, 10_000);
      assert.deepEqual(s.alpha.turns, ["1"]);
      assert.deepEqual(s.beta.turns, ["2", "3"]);

      await tmux("send-keys", "-t", s.id, "C-d");
      await new Promise((r) => setTimeout(r, 300));
      await tmux("send-keys", "-t", s.id, "C-d");
      const end = await s.exited();
      const saved = end.indexOf("ccp: while claude ran: Config file saved, reloaded. Changed");
      const failed = end.indexOf("ccp: while claude ran: Config reload failed; keeping");
      assert.ok(saved !== -1 && failed > saved, `the saves in order after exit:\n${end}`);
      // The pane wraps long lines at its width (at a space, or not).
      assert.match(end.replaceAll("\n", ""), /unknown provider ?"gamma"/);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "ccp code -p: a save's line is said at once (Claude Code draws no screen)",
  ignore: !ready || Deno.build.os === "windows",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const s = await session("print-save", ["-p", "question TURN1 HOLD"]);
    try {
      await until(s.alpha.holding, 15_000, "claude -p's request");
      await s.save("beta/b-model", SAVED);
      // Said while claude still waits for its answer, not held for after it exits.
      await waitForScreen(s.id, /ccp: Config file saved, reloaded\. Changed/, 5_000);
      s.alpha.release();
      const end = await s.exited();
      // The turn in flight finished where it started.
      assert.match(end, /Answer 1 from alpha/);
      assert.doesNotMatch(end, /while claude ran/);
    } finally {
      await s.close();
    }
  },
});
