/**
 * An MCP server over HTTP (`--mcp-config` with a `type: "http"` server,
 * tests/fixtures/mcp/http_shots_server.ts) whose tool answers as browser-automation servers do, a
 * long page dump and a screenshot in one result, with the real `claude -p` through ccp on two
 * translated providers with vision: Kimi on Chat Completions (reasoning back on tool turns) and
 * Gemini (behind the strict request check of tests/mocks/gemini_strict.ts). The model loads the
 * tool with ToolSearch, calls it, and answers from what it got: the whole dump and the picture
 * both reach it in the form its API takes. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printStreamJson } from "../helpers/claude_print.ts";
import { testConfig } from "../helpers/config.ts";
import {
  DUMP_END,
  PAGE_DUMP,
  SCREENSHOT,
  SNAP_TOOL,
  startShotsMcp,
} from "../fixtures/mcp/http_shots_server.ts";
import { type Move, startAgentModel, type View, type Wire } from "../mocks/two_wire_agent.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const SERVER = "shots";
const TOOL = `mcp__${SERVER}__${SNAP_TOOL}`;
const PAGE = "https://app.example.test/login";

/** Load the tool, call it, then say whether the whole dump came. */
function script(view: View): Move {
  if (view.results.length === 0) {
    return {
      think: "Load the browser tool.",
      call: { name: "ToolSearch", args: { query: `select:${TOOL}`, max_results: 1 } },
    };
  }
  if (view.results.length === 1) {
    return { think: "Take the screenshot.", call: { name: TOOL, args: { url: PAGE } } };
  }
  const whole = view.results[1]!.includes(PAGE_DUMP);
  return { think: "Report.", text: whole ? `Read the page to ${DUMP_END}.` : "Page cut short." };
}

for (const wire of ["chat", "gemini"] as Wire[]) {
  Deno.test({
    name: `real Claude Code with an HTTP MCP server on ${wire}: a tool result of a long text ` +
      "and a screenshot reaches the model whole",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const mcp = startShotsMcp();
      const model = startAgentModel(wire, script);
      // Kimi takes images, and wants its reasoning back on tool turns as DeepSeek does.
      const up = wire === "chat"
        ? { ...model.provider, dialect: OPENAI_DIALECTS.kimi! }
        : model.provider;
      const target = wire === "chat" ? "up/kimi-k2.6" : model.target;
      await using stage = await claudeStage(
        "ccp-mcp-http-",
        testConfig({
          providers: [up],
          routes: { default: target },
          authToken: "e2e-token",
        }),
        { mocks: [model, mcp], guarded: true },
      );
      const { ws, ccp } = stage;
      const mcpConfig = `${ws.work}/mcp.json`;
      await Deno.writeTextFile(
        mcpConfig,
        JSON.stringify({ mcpServers: { [SERVER]: { type: "http", url: mcp.url } } }),
      );
      const run = await printStreamJson(ws, ccp.url, [
        "-p",
        "Screenshot the login page.",
        "--mcp-config",
        mcpConfig,
        "--strict-mcp-config",
      ], { tools: [TOOL] });
      const context = `${run.output}\n${model.problems}\n${ccp.logs.join("")}`;
      assert.equal(run.result.is_error, false, context);
      assert.equal(run.result.result, `Read the page to ${DUMP_END}.`, context);
      assert.deepEqual(model.problems, [], context);
      assert.deepEqual(mcp.calls, [{ url: PAGE }], context);
      // Claude Code 2.1.332 asks `server/discover` first, and goes on when it is refused.
      assert.deepEqual(
        mcp.methods,
        [
          "server/discover",
          "initialize",
          "notifications/initialized",
          "tools/list",
          "tools/call",
        ],
      );
      assert.equal(model.bodies.length, 3, context);

      // The picture reached the model as its API takes one, after the call's result.
      const last = model.bodies[2]!;
      if (wire === "chat") {
        const messages = last.messages as Obj[];
        const tool = messages.findLastIndex((m) => m.role === "tool");
        const after = messages.slice(tool + 1).filter((m) => m.role === "user")
          .flatMap((m) => Array.isArray(m.content) ? m.content as Obj[] : []);
        const urls = after.filter((p) => p.type === "image_url")
          .map((p) => (p.image_url as Obj).url);
        assert.deepEqual(urls, [`data:image/png;base64,${SCREENSHOT}`], context);
        assert.match(String(messages[tool]!.content), /image output follows/);
      } else {
        const parts = (last.contents as Obj[]).at(-1)!.parts as Obj[];
        const call = parts.findIndex((p) => p.functionResponse !== undefined);
        const inline = parts.slice(call + 1).map((p) => p.inlineData).filter(Boolean);
        assert.deepEqual(inline, [{ mimeType: "image/png", data: SCREENSHOT }], context);
      }
    },
  });
}
