/**
 * `claude -p --effort high` (how a user asks Claude Code 2.1.332 for deeper thinking without the
 * interactive `/effort`; in `-p`, "ultrathink" in the prompt and `MAX_THINKING_TOKENS` leave the
 * request at effort `medium`) through ccp with a `think` route to a reasoning model on Chat
 * Completions with DeepSeek's rules, and the default route to another model: every request of
 * the tool loop (two Bash turns, then the answer) goes to the think route with the effort
 * passed on, each call's reasoning comes back with it, the commands run, and the thinking is in
 * what Claude Code prints. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printStreamJson } from "../helpers/claude_print.ts";
import { testConfig } from "../helpers/config.ts";
import { type Move, reasoningOf, startAgentModel, type View } from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** Two commands, then an answer that quotes both outputs. */
function script(view: View): Move {
  if (view.results.length === 0) {
    return { think: "Check the first step.", call: { name: "Bash", args: { command: "echo s1" } } };
  }
  if (view.results.length === 1) {
    return { think: "Now the second.", call: { name: "Bash", args: { command: "echo s2" } } };
  }
  return { think: "Both ran.", text: `Steps: ${view.results.map((r) => r.trim()).join(", ")}` };
}

Deno.test({
  name: "real Claude Code through ccp: --effort high sends the whole tool loop to the think " +
    "route, a DeepSeek-style reasoner, with its reasoning back on each tool turn",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fast = startAgentModel("chat", () => ({ think: "-", text: "from the default route" }));
    const deep = startAgentModel("chat", script);
    await using stage = await claudeStage(
      "ccp-think-route-",
      testConfig({
        providers: [fast.provider, { ...deep.provider, id: "deep" }],
        routes: { default: "up/deepseek-chat", think: "deep/deepseek-reasoner" },
        authToken: "e2e-token",
      }),
      { mocks: [fast, deep], guarded: true },
    );
    const { ws, ccp } = stage;
    const run = await printStreamJson(
      ws,
      ccp.url,
      ["-p", "Run both steps.", "--effort", "high"],
      {
        tools: ["Bash"],
      },
    );
    const context = `${run.output}\n${deep.problems}\n${ccp.logs.join("")}`;
    assert.equal(run.result.is_error, false, context);
    assert.equal(run.result.result, "Steps: s1, s2", context);
    assert.equal(fast.bodies.length, 0, context);
    assert.deepEqual(deep.problems, [], context);
    assert.equal(deep.bodies.length, 3, context);
    const served = ccp.logs.filter((l) => l.includes("POST /v1/messages "));
    assert.equal(served.length, 3, context);
    for (const line of served) assert.match(line, /→ deep\/deepseek-reasoner .*\[think\]/);

    // The effort reached the model each turn, and each call's reasoning came back.
    for (const body of deep.bodies) {
      assert.equal(body.model, "deepseek-reasoner");
      assert.equal(body.reasoning_effort, "high", JSON.stringify(body.thinking));
    }
    const back = (deep.bodies[2]!.messages as Obj[]).filter((m) => m.role === "assistant")
      .map((m) => m.reasoning_content);
    assert.deepEqual(back, [
      reasoningOf(1, "Check the first step."),
      reasoningOf(2, "Now the second."),
    ]);

    // Claude Code printed the thinking of every turn.
    const thinking = run.events.filter((e) => e.type === "assistant")
      .flatMap((e) => (e.message as Obj).content as Obj[])
      .filter((b) => b.type === "thinking").map((b) => b.thinking);
    assert.deepEqual(thinking, [
      reasoningOf(1, "Check the first step."),
      reasoningOf(2, "Now the second."),
      reasoningOf(3, "Both ran."),
    ], context);
  },
});
