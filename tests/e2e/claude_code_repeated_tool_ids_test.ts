/**
 * An Anthropic-compatible server that numbers its tool calls per answer (`toolu_0001` in every
 * turn, as a gateway or an older build may), behind the real `claude -p` through ccp's relay.
 * Claude Code drops a call whose id it has already seen in the conversation: without ccp's guard
 * the second turn's Write never runs and the session ends as if it had. With it, every call runs,
 * each tool_result answers the call it belongs to in what the server is sent, and the next
 * `--continue` turn goes on from there. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { DIALECTS, type Script, startLocalServer, type Turn } from "../mocks/local_servers.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const turn = (t: Omit<Turn, "inputTokens" | "outputTokens">): Script => ({
  kind: "turn",
  turn: { inputTokens: 2_000, outputTokens: 30, ...t },
});

const write = (path: string, content: string) => ({
  name: "Write",
  args: [`{"file_path": "${path}", "content": "${content}\\n"}`],
});

/**
 * Every tool_result of `body` answers a tool_use of the assistant message just before it, as a
 * server turning the history into its chat template pairs them; the calls of the history, in
 * order.
 */
function pairedCalls(body: Obj): string[] {
  const calls: string[] = [];
  let open = new Set<string>();
  for (const message of body.messages as Obj[]) {
    if (typeof message.content === "string") continue;
    const blocks = message.content as Obj[];
    if (message.role === "assistant") {
      open = new Set(blocks.filter((b) => b.type === "tool_use").map((b) => String(b.id)));
      calls.push(...open);
      continue;
    }
    for (const block of blocks) {
      if (block.type !== "tool_result") continue;
      assert.ok(open.has(String(block.tool_use_id)), `unpaired ${block.tool_use_id}`);
    }
  }
  return calls;
}

for (const idOf of [(n: number) => `toolu_000${n}`, (n: number) => `call_${n - 1}`]) {
  Deno.test({
    name: `real Claude Code on a server that numbers its calls per answer (${idOf(1)} in ` +
      "every turn): each call runs, and the next turn goes on",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await using ws = await claudeWorkspace("ccp-repeated-ids-");
      const file = (name: string) => `${ws.work}/${name}`;
      const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
      const server = startLocalServer(llamacpp, [
        turn({ tools: [write(file("a.txt"), "alpha")] }),
        turn({ text: ["Now b."], tools: [write(file("b.txt"), "beta")] }),
        turn({ text: ["a.txt and b.txt are written."] }),
        turn({ tools: [write(file("c.txt"), "gamma")] }),
        turn({ text: ["c.txt is written."] }),
      ], { idsPerAnswer: idOf });
      const text = `
providers:
  llamacpp: { preset: llamacpp, base_url: ${server.url}/v1 }
routes:
  default: llamacpp/qwen3-coder
`;
      const config = configFromYaml({
        text,
        file: "config.yaml",
        path: "/abs/config.yaml",
        env: {},
      });
      await using stage = await claudeStage(ws, config, { mocks: [server], guarded: true });
      const { ccp } = stage;
      const first = await printJson(ws, ccp.url, ["-p", "write a.txt, then b.txt"]);
      assert.equal(first.result, "a.txt and b.txt are written.", JSON.stringify(first));
      assert.equal(await Deno.readTextFile(file("a.txt")), "alpha\n");
      assert.equal(await Deno.readTextFile(file("b.txt")), "beta\n");
      const bodies = server.bodies;
      assert.equal(bodies.length, 3);
      const calls = pairedCalls(bodies[2]!);
      assert.equal(calls.length, 2);
      // The first call keeps the server's own id; only the repeat was given a new one.
      assert.equal(calls[0], idOf(1));
      assert.notEqual(calls[1], idOf(1));

      const next = await printJson(ws, ccp.url, ["--continue", "-p", "and c.txt"]);
      assert.equal(next.result, "c.txt is written.", JSON.stringify(next));
      assert.equal(await Deno.readTextFile(file("c.txt")), "gamma\n");
      assert.equal(bodies.length, 5);
      const all = pairedCalls(bodies[4]!);
      assert.equal(all.length, 3);
      assert.equal(new Set(all).size, 3, all.join());
      // What the history said of the earlier calls reached the server unchanged.
      assert.deepEqual(all.slice(0, 2), calls);
    },
  });
}
