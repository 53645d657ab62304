/**
 * A fork (the Agent tool with `subagent_type: "fork"`, which Claude Code 2.1.332 offers as the
 * cheap way to delegate) with the real `claude -p` through ccp on Gemini and on a thinking Chat
 * model with DeepSeek's rules. The fork's requests carry the parent's system prompt, tools and
 * whole history, with the parent's thinking taken out by Claude Code, then the fork's directive;
 * ccp sends that history as the provider accepts it (Gemini's placeholder signature on the
 * parent's call, DeepSeek's empty reasoning), the fork runs Bash, and its report reaches the
 * parent, whose own thinking is still there. With a `subagent` route configured, the fork is one
 * of the requests it takes (Claude Code marks them as subagent requests), the parent's history and
 * all. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, type ClaudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
import { testConfig } from "../helpers/config.ts";
import { SKIP_SIGNATURE } from "../../src/translate/gemini/contents.ts";
import {
  markOf,
  type Move,
  returnedMarks,
  startAgentModel,
  type View,
  type Wire,
  WIRES,
} from "../mocks/two_wire_agent.ts";
import { NO_REASONING } from "../../src/translate/openai_chat/reasoning_spans.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const PROMPT = "Fork the echo";
const REPORT = "Fork report: forked-out seen.";

const isFork = (view: View) => view.userTexts.some((t) => t.includes("<fork-boilerplate>"));

/**
 * The model: the parent forks itself; the fork runs Bash and reports; the parent answers with
 * the report.
 */
function script(view: View): Move {
  const result = view.results.at(-1) ?? "";
  if (isFork(view)) {
    return view.afterResult && result === "forked-out" ? { think: "Report.", text: REPORT } : {
      think: "In the fork.",
      call: { name: "Bash", args: { command: "echo forked-out", description: "Echo" } },
    };
  }
  if (view.afterResult && result.includes(REPORT)) {
    return { think: "Relay it.", text: "The fork said forked-out." };
  }
  return {
    think: "Fork it.",
    call: {
      name: "Agent",
      args: {
        description: "Run the echo",
        prompt: "Run echo forked-out and report.",
        subagent_type: "fork",
        run_in_background: false,
      },
    },
  };
}

/** The prompt run with Bash and Agent allowed: its result, and all it printed. */
const run = (ws: ClaudeWorkspace, url: string) =>
  printStreamJson(ws, url, ["-p", PROMPT], { tools: ["Bash", "Agent"] });

/** What the parent's call looks like in the fork's history: its thinking taken out. */
const strippedMark = (wire: Wire) => wire === "gemini" ? SKIP_SIGNATURE : NO_REASONING;

/** The system prompt and tools of a request, as the upstream got them. */
function promptAndTools(wire: Wire, body: Obj): string {
  if (wire === "gemini") return JSON.stringify([body.systemInstruction, body.tools]);
  const system = (body.messages as Obj[]).filter((m) => m.role === "system");
  return JSON.stringify([system, body.tools]);
}

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code through ccp (${wire}): a fork runs on the parent's history ` +
      "without its thinking, and its report reaches the parent",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const model = startAgentModel(wire, script);
      await using stage = await claudeStage("ccp-fork-", model.config, {
        mocks: [model],
        guarded: true,
      });
      const { ws, ccp } = stage;
      const { result, output } = await run(ws, ccp.url);
      const context = `${output}\n${model.problems}\n${ccp.logs.join("")}`;
      assert.equal(result.is_error, false, context);
      assert.equal(result.result, "The fork said forked-out.", context);
      assert.deepEqual(model.problems, [], context);
      // Parent (Agent call); fork (Bash call); fork (report); parent (answer).
      assert.deepEqual(model.views.map(isFork), [false, true, true, false], context);
      const [parent, fork, forkAgain, parentAgain] = model.bodies as [Obj, Obj, Obj, Obj];
      // The fork has the parent's prompt and tools (ccp drops the billing line that differs),
      // and the parent's conversation before its directive.
      assert.equal(promptAndTools(wire, fork), promptAndTools(wire, parent));
      assert.ok(model.views[1]!.userTexts.some((t) => t.includes(PROMPT)));
      assert.deepEqual(returnedMarks(wire, fork), [strippedMark(wire)]);
      assert.deepEqual(returnedMarks(wire, forkAgain), [
        strippedMark(wire),
        markOf(wire, 2, "In the fork."),
      ]);
      // The parent's own history keeps its thinking.
      assert.deepEqual(returnedMarks(wire, parentAgain), [markOf(wire, 1, "Fork it.")]);
      assert.ok(model.views[3]!.results.at(-1)!.includes(REPORT));
    },
  });
}

Deno.test({
  name: "real Claude Code through ccp: a subagent route takes a fork's requests, with the " +
    "parent's whole history translated for its provider",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const main = startAgentModel("gemini", script);
    const sub = startAgentModel("chat", script);
    await using stage = await claudeStage(
      "ccp-fork-route-",
      testConfig({
        providers: [main.provider, { ...sub.provider, id: "sub" }],
        routes: { default: main.target, subagent: "sub/deepseek-reasoner" },
        authToken: "e2e-token",
      }),
      { mocks: [main, sub], guarded: true },
    );
    const { ws, ccp } = stage;
    const { result, output } = await run(ws, ccp.url);
    const context = `${output}\n${main.problems}\n${sub.problems}\n${ccp.logs.join("")}`;
    assert.equal(result.result, "The fork said forked-out.", context);
    assert.deepEqual([main.problems, sub.problems], [[], []], context);
    assert.deepEqual(main.views.map(isFork), [false, false], context);
    assert.deepEqual(sub.views.map(isFork), [true, true], context);
    // The Gemini parent's turns reached the Chat model as a history it accepts.
    const messages = sub.bodies[0]!.messages as Obj[];
    assert.ok(JSON.stringify(messages).includes(PROMPT));
    assert.deepEqual(returnedMarks("chat", sub.bodies[0]!), [NO_REASONING]);
    assert.ok(
      ccp.logs.some((l) => l.includes("→ sub/deepseek-reasoner") && l.includes("[subagent]")),
      context,
    );
  },
});
