/**
 * A tool loop that outgrows the model's context window halfway, through ccp on Gemini and on a
 * thinking Chat model with DeepSeek's rules, with the real `claude -p`: the request carrying the
 * second command's result is refused as too long, in the provider's own words. ccp passes that on
 * as Anthropic's `prompt is too long`, so Claude Code compacts right there, in the middle of the
 * turn: it asks for a summary of the history before the call in flight, then sends the summary,
 * that call (with its signature or reasoning) and its result again, and the loop goes on. No
 * command runs twice, every request is one the provider accepts, and the user gets the answer.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printStreamJson } from "../helpers/claude_print.ts";
import {
  markOf,
  type Move,
  returnedMarks,
  startAgentModel,
  SUMMARY_ASK,
  type View,
  WIRES,
} from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const SUMMARY_MARK = "SUMMARY-9c1: step-0 ran; step-1 was started.";
const DONE = "All three steps ran.";

/** Each step's command: it says its name and notes it in steps.log. */
const step = (k: number): Move => ({
  think: `Step ${k} next.`,
  call: {
    name: "Bash",
    args: { command: `echo step-${k} | tee -a steps.log`, description: `Run step ${k}` },
  },
});

/**
 * The model: three steps in a row, then the answer; the first request with step 1's result is
 * refused as too long; a summarisation request gets a summary.
 */
function loop() {
  let refused = false;
  return (view: View): Move => {
    if (view.summarising) {
      return {
        think: "Summarise.",
        text: `<analysis>a</analysis>\n<summary>${SUMMARY_MARK}</summary>`,
      };
    }
    if (!view.afterResult) return step(0);
    const k = Number(/^step-(\d)/.exec(view.results.at(-1) ?? "")?.[1] ?? -1);
    if (k === 1 && !refused) {
      refused = true;
      return { overflow: true };
    }
    return k === 2 ? { think: "Done.", text: DONE } : step(k + 1);
  };
}

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code through ccp (${wire}): a prompt too long in the middle of a tool ` +
      "loop is compacted there, and the loop goes on with the call in flight",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const model = startAgentModel(wire, loop());
      await using stage = await claudeStage("ccp-overflow-loop-", model.config, {
        mocks: [model],
        guarded: true,
      });
      const { ws, ccp } = stage;
      const { events, result, output } = await printStreamJson(
        ws,
        ccp.url,
        ["-p", "Run the three steps"],
        { tools: ["Bash"] },
      );
      const context = `\n${output}\n${model.problems}\n${ccp.logs.join("")}`;
      assert.equal(result.is_error, false, context);
      assert.equal(result.result, DONE, context);
      const boundary = events.find((e) => e.subtype === "compact_boundary");
      assert.equal((boundary?.compact_metadata as Obj | undefined)?.trigger, "auto", context);
      // Each command ran once: nothing was run again after the compaction.
      assert.equal(await Deno.readTextFile(`${ws.work}/steps.log`), "step-0\nstep-1\nstep-2\n");
      assert.deepEqual(model.problems, [], context);
      assert.ok(ccp.logs.some((l) => l.includes("prompt is too long")), context);

      // Step 0; step 1; refused; the summary; step 1's result again; step 2's result.
      assert.equal(model.bodies.length, 6, context);
      const [, , refused, summary, retried, last] = model.views;
      assert.deepEqual(refused!.results, ["step-0", "step-1"]);
      // The summary covers the history before the call in flight, and asks for text.
      assert.ok(summary!.summarising, summary!.lastTexts.join("\n"));
      assert.ok(summary!.lastTexts.at(-1)!.startsWith(SUMMARY_ASK));
      assert.deepEqual(summary!.results, ["step-0"]);
      assert.deepEqual(returnedMarks(wire, model.bodies[3]!), [markOf(wire, 1, "Step 0 next.")]);
      // Then the summary, and the call in flight with its result, its mark intact.
      assert.match(retried!.userTexts[0]!, /continued from a previous conversation/);
      assert.ok(retried!.userTexts[0]!.includes(SUMMARY_MARK), retried!.userTexts[0]);
      assert.deepEqual(retried!.results, ["step-1"]);
      assert.deepEqual(returnedMarks(wire, model.bodies[4]!), [markOf(wire, 2, "Step 1 next.")]);
      assert.deepEqual(last!.results, ["step-1", "step-2"]);
      assert.deepEqual(returnedMarks(wire, model.bodies[5]!), [
        markOf(wire, 2, "Step 1 next."),
        markOf(wire, 5, "Step 2 next."),
      ]);
    },
  });
}
