/**
 * The real Claude Code with two project agents in `.claude/agents/` whose `model:` names ccp's
 * own names: an alias (`fast`) and a route picked as Claude Code's `/model` list offers it
 * (`claude-ccp/checker`). Claude Code sends each name verbatim (it warns on stderr that it does
 * not know them); ccp routes each to its target while the main loop stays on the default route.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { findClaude } from "../helpers/claude.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const AGENTS = { quick: "fast", checker: "claude-ccp/checker" } as const;

/**
 * The main model calls both agents at once, then answers with their reports; an agent's request
 * (its system prompt names it) is answered with the upstream model it reached.
 */
function startChat(name: string) {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const messages = body.messages as Obj[];
    const agent = /You are the (\w+) agent/.exec(JSON.stringify(messages[0]))?.[1];
    let sse: string;
    if (agent) {
      sse = chatChunk({ role: "assistant", content: `${agent} ran on ${name}/${body.model}` }) +
        chatChunk({}, "stop");
    } else if (messages.at(-1)!.role === "tool") {
      const reports = messages.filter((m) => m.role === "tool").map((m) => String(m.content));
      const said = Object.keys(AGENTS).map((a) => reports.some((r) => r.includes(`${a} ran on`)));
      sse = chatChunk({ role: "assistant", content: `Reports: ${said}` }) + chatChunk({}, "stop");
    } else {
      const calls = Object.keys(AGENTS).map((agent, index) => ({
        index,
        id: `call_${agent}`,
        type: "function",
        function: {
          name: "Agent",
          arguments: JSON.stringify({
            subagent_type: agent,
            description: `Ask ${agent}`,
            prompt: "Check main.py",
            run_in_background: false,
          }),
        },
      }));
      sse = chatChunk({ role: "assistant", tool_calls: calls }) + chatChunk({}, "tool_calls");
    }
    return new Response(`${sse}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name:
    "real Claude Code: project agents with model: set to a ccp alias and to claude-ccp/<route> " +
    "reach their own targets through ccp",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const main = startChat("main");
    const other = startChat("other");
    await using stage = await claudeStage(
      "ccp-agent-model-",
      testConfig({
        providers: [
          provider("main", { type: "openai", baseUrl: main.url, maxRetries: 0 }),
          provider("other", { type: "openai", baseUrl: other.url, maxRetries: 0 }),
        ],
        routes: { default: "main/main-model", checker: "other/route-model" },
        aliases: { fast: "other/alias-model" },
        authToken: "e2e-token",
      }),
      { mocks: [main, other] },
    );
    const { ws, ccp } = stage;
    await Deno.mkdir(`${ws.work}/.claude/agents`, { recursive: true });
    for (const [agent, model] of Object.entries(AGENTS)) {
      await Deno.writeTextFile(
        `${ws.work}/.claude/agents/${agent}.md`,
        `---\nname: ${agent}\ndescription: Checks code. Use it to check.\ntools: Read\n` +
          `model: ${model}\n---\nYou are the ${agent} agent. Say what you found.\n`,
      );
    }
    await Deno.writeTextFile(`${ws.work}/main.py`, "print('hello')\n");
    const result = await printJson(ws, ccp.url, ["-p", "Ask both agents about main.py."], {
      ms: 60_000,
      tools: ["Agent", "Read"],
    });
    const context = `\n${JSON.stringify(result)}\n${ccp.logs.join("")}`;
    assert.equal(result.is_error, false, context);
    assert.equal(result.result, "Reports: true,true", context);
    assert.deepEqual(main.bodies.map((b) => b.model), ["main-model", "main-model"], context);
    assert.deepEqual(other.bodies.map((b) => String(b.model)).sort(), [
      "alias-model",
      "route-model",
    ]);
    const log = ccp.logs.join("");
    assert.match(log, /POST \/v1\/messages fast → other\/alias-model 200 .*\[alias:fast\]/);
    assert.match(log, /claude-ccp\/checker → other\/route-model 200 .*\[checker\]/);
  },
});
