/**
 * An Anthropic-compatible server that gives every answer the same message id, behind the real
 * `claude -p` through ccp's relay. Claude Code takes answers that share an id for parts of one
 * message: without ccp's fresh ids, a tool call and the text of the answer after its result are
 * merged into one assistant message in what Claude Code sends next, after `--continue` and in the
 * request `/compact` summarizes. With them every answer stays its own message. Skipped when
 * `claude` is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { DIALECTS, type Script, startLocalServer, type Turn } from "../mocks/local_servers.ts";

const claude = await findClaude();

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

Deno.test({
  name: "real Claude Code on a server that repeats its message id: every answer stays its own " +
    "message, after --continue and in /compact's request",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-repeated-message-ids-");
    const file = (name: string) => `${ws.work}/${name}`;
    const write = (name: string, content: string) => ({
      name: "Write",
      args: [`{"file_path": "${file(name)}", "content": "${content}\\n"}`],
    });
    const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
    const server = startLocalServer(llamacpp, [
      turn({ tools: [write("a.txt", "alpha")] }),
      turn({ text: ["Now b."], tools: [write("b.txt", "beta")] }),
      turn({ text: ["a.txt and b.txt are written."] }),
      turn({ text: ["Both hold one line."] }),
      turn({ text: ["<summary>Wrote a.txt and b.txt.</summary>"] }),
    ]);
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
      const first = await printJson(ws, ccp.url, ["-p", "write a.txt, then b.txt"]);
      assert.equal(first.result, "a.txt and b.txt are written.", JSON.stringify(first));
      assert.equal(await Deno.readTextFile(file("b.txt")), "beta\n");
      const bodies = server.bodies;
      assert.equal(bodies.length, 3);
      const three = ["tool_use", "text+tool_use", "text"];
      assert.deepEqual(assistantShapes(bodies[2]!), three.slice(0, 2));

      const next = await printJson(ws, ccp.url, ["--continue", "-p", "how long are they?"]);
      assert.equal(next.result, "Both hold one line.", JSON.stringify(next));
      assert.equal(bodies.length, 4);
      assert.deepEqual(assistantShapes(bodies[3]!), three);

      await printJson(ws, ccp.url, ["--continue", "-p", "/compact"]);
      assert.equal(bodies.length, 5);
      assert.deepEqual(assistantShapes(bodies[4]!), [...three, "text"]);
    } finally {
      await ccp.close();
      await server.close();
      await ws.remove();
    }
  },
});
