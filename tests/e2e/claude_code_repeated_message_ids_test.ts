/**
 * An Anthropic-compatible server that gives every answer the same message id, behind the real
 * `claude -p` through ccp's relay. Claude Code takes answers that share an id for parts of one
 * message: without ccp's fresh ids, a tool call and the text of the answer after its result are
 * merged into one assistant message in what Claude Code sends next, after `--continue` and in the
 * request `/compact` summarizes (in `claude -p` and in the interactive session). With them every
 * answer stays its own message. Skipped when `claude` (or `tmux`) is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import {
  claudeDirs,
  endSession,
  startSession,
  tempDir,
  tmuxAndClaude,
  tuiEnv,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";
import {
  DIALECTS,
  type LocalServer,
  type Script,
  startLocalServer,
  type Turn,
} from "../mocks/local_servers.ts";

const claude = await findClaude();
const tui = await tmuxAndClaude();

type Obj = Record<string, unknown>;

const turn = (t: Omit<Turn, "inputTokens" | "outputTokens">): Script => ({
  kind: "turn",
  turn: { inputTokens: 2_000, outputTokens: 30, ...t },
});

/** Each assistant message of a request's history, as the kinds of its blocks (`text+tool_use`). */
function assistantShapes(body: Obj): string[] {
  return (body.messages as Obj[])
    .filter((m) => m.role === "assistant")
    .map((m) =>
      typeof m.content === "string"
        ? "text"
        : (m.content as Obj[]).map((b) => String(b.type)).join("+")
    );
}

/** The llama.cpp mock (one id for every answer) playing `scripts`, behind ccp's relay. */
async function withRepeatingServer(
  scripts: Script[],
  use: (server: LocalServer, url: string) => Promise<void>,
): Promise<void> {
  const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
  const server = startLocalServer(llamacpp, scripts);
  const config = configFromYaml({
    text: `
providers:
  llamacpp: { preset: llamacpp, base_url: ${server.url}/v1 }
routes:
  default: llamacpp/qwen3-coder
`,
    file: "config.yaml",
    path: "/abs/config.yaml",
    env: {},
  });
  const ccp = await startGuardedCcp(config);
  try {
    await use(server, ccp.url);
  } finally {
    await ccp.close();
    await server.close();
  }
}

/** Writes `name` in `dir` with one line. */
const write = (dir: string, name: string, content: string) => ({
  name: "Write",
  args: [`{"file_path": "${dir}/${name}", "content": "${content}\\n"}`],
});

/** A tool call; the text and a call of the answer after its result; the answer after that. */
const TWO_WRITES = (dir: string): Script[] => [
  turn({ tools: [write(dir, "a.txt", "alpha")] }),
  turn({ text: ["Now b."], tools: [write(dir, "b.txt", "beta")] }),
  turn({ text: ["a.txt and b.txt are written."] }),
];
const THREE = ["tool_use", "text+tool_use", "text"];

Deno.test({
  name: "real Claude Code on a server that repeats its message id: every answer stays its own " +
    "message, after --continue and in /compact's request",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-repeated-message-ids-");
    const scripts = [
      ...TWO_WRITES(ws.work),
      turn({ text: ["Both hold one line."] }),
      turn({ text: ["<summary>Wrote a.txt and b.txt.</summary>"] }),
    ];
    try {
      await withRepeatingServer(scripts, async (server, url) => {
        const first = await printJson(ws, url, ["-p", "write a.txt, then b.txt"]);
        assert.equal(first.result, "a.txt and b.txt are written.", JSON.stringify(first));
        assert.equal(await Deno.readTextFile(`${ws.work}/b.txt`), "beta\n");
        const bodies = server.bodies;
        assert.equal(bodies.length, 3);
        assert.deepEqual(assistantShapes(bodies[2]!), THREE.slice(0, 2));

        const next = await printJson(ws, url, ["--continue", "-p", "how long are they?"]);
        assert.equal(next.result, "Both hold one line.", JSON.stringify(next));
        assert.equal(bodies.length, 4);
        assert.deepEqual(assistantShapes(bodies[3]!), THREE);

        await printJson(ws, url, ["--continue", "-p", "/compact"]);
        assert.equal(bodies.length, 5);
        assert.deepEqual(assistantShapes(bodies[4]!), [...THREE, "text"]);
      });
    } finally {
      await ws.remove();
    }
  },
});

Deno.test({
  name: "interactive Claude Code on a server that repeats its message id: /compact summarizes " +
    "every answer as its own message",
  ignore: !tui,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-repeated-message-ids-tui-");
    const dir = tmp.path;
    const { home, work } = await claudeDirs(dir);
    const scripts = [...TWO_WRITES(work), turn({ text: ["<summary>Wrote both.</summary>"] })];
    const session = `ccp-message-ids-${Date.now()}`;
    try {
      await withRepeatingServer(scripts, async (server, url) => {
        await startSession(session, work, { ...tuiEnv(home, url), CLAUDE_CODE_MAX_RETRIES: "0" }, [
          "claude",
          "--permission-mode",
          "acceptEdits",
        ]);
        await waitForScreen(session, /❯/, 15_000);
        await typeLine(session, "write a.txt, then b.txt");
        await waitForScreen(session, /a\.txt and b\.txt are written\./, 15_000);
        const turnRequests = server.bodies.length;
        assert.deepEqual(assistantShapes(server.bodies.at(-1)!), THREE.slice(0, 2));
        await typeLine(session, "/compact");
        await waitForScreen(session, /Compacted/, 15_000);
        assert.equal(server.bodies.length, turnRequests + 1);
        // The interactive /compact leaves the turn's last, text-only answer out of its request
        // (so it does on every path, whatever the ids); the two before it stay apart.
        assert.deepEqual(assistantShapes(server.bodies.at(-1)!), THREE.slice(0, 2));
      });
    } finally {
      await endSession(session);
    }
  },
});
