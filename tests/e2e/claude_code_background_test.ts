/**
 * A command the model runs in the background (Bash with `run_in_background`), through ccp on
 * Gemini and on a thinking Chat model with DeepSeek's rules, with the real `claude -p`:
 * the call's result only says the command started, the model ends its turn, and when the command
 * ends Claude Code (which waits for it before exiting) sends a task notification as a new user
 * turn, naming the file that holds the output; the model reads that file and answers. Then ccp
 * is replaced by a fresh one (nothing kept from the first) and `claude -p --continue` goes on:
 * the whole history, the notification and every signature or reasoning of the model's calls,
 * goes back in a request the provider accepts. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { type RunningCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
import {
  markOf,
  type Move,
  returnedMarks,
  startAgentModel,
  type View,
  WIRES,
} from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const OUTPUT = "BUILD-OK-42";

/**
 * The model: start the build in the background; once started, wait; on the notification, read
 * the output file it names; with the output, answer; asked "again", answer from the history.
 */
function script(view: View): Move {
  const last = view.lastTexts.join("\n");
  const result = view.results.at(-1) ?? "";
  if (last.includes("again")) {
    const seen = view.results.some((r) => r.includes(OUTPUT));
    return { think: "Recall.", text: seen ? `Earlier the build said ${OUTPUT}.` : "No output." };
  }
  const file = /<output-file>([^<]+)<\/output-file>/.exec(last)?.[1];
  if (file) return { think: "It ended.", call: { name: "Read", args: { file_path: file } } };
  if (view.afterResult && result.includes(OUTPUT)) {
    return { think: "Read it.", text: `The build said ${OUTPUT}.` };
  }
  if (view.afterResult) return { think: "Started.", text: "The build runs; I will wait." };
  return {
    think: "Run it in the background.",
    call: {
      name: "Bash",
      args: {
        command: `sleep 2; echo ${OUTPUT.replace("42", "$((6*7))")}`,
        description: "Build in the background",
        run_in_background: true,
      },
    },
  };
}

const TOOLS = { tools: ["Bash", "Read"] };

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code through ccp (${wire}): a background command's notification is ` +
      "answered, and --continue on a fresh ccp sends the whole history back",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const ws = await claudeWorkspace("ccp-background-");
      const model = startAgentModel(wire, script);
      let ccp: RunningCcp = await startGuardedCcp(model.config);
      const logs: string[] = [];
      try {
        const { events } = await printStreamJson(
          ws,
          ccp.url,
          ["-p", "Build in the background"],
          TOOLS,
        );
        const context = () => `${JSON.stringify(events)}\n${model.problems}\n${logs.join("")}`;
        logs.push(...ccp.logs);
        // The turn that started the command, then the one the notification began.
        const results = events.filter((e) => e.type === "result");
        assert.deepEqual(
          results.map((r) => [r.is_error, r.result]),
          [[false, "The build runs; I will wait."], [false, `The build said ${OUTPUT}.`]],
          context(),
        );
        const notice = events.find((e) => e.subtype === "task_notification");
        assert.equal(notice?.status, "completed", context());
        assert.deepEqual(model.problems, [], context());
        // Bash call; after its start; after the notification (Read call); after the Read.
        assert.equal(model.bodies.length, 4, context());
        const [, , notified, read] = model.views;
        const notification = notified!.lastTexts.join("\n");
        assert.match(notification, /<task-notification>/);
        assert.match(notification, /<status>completed<\/status>/);
        assert.match(read!.results.at(-1)!, new RegExp(OUTPUT));
        assert.deepEqual(returnedMarks(wire, model.bodies[3]!), [
          markOf(wire, 1, "Run it in the background."),
          markOf(wire, 3, "It ended."),
        ]);

        // ccp restarts: a new instance, nothing of the first kept.
        await ccp.close();
        ccp = await startGuardedCcp(model.config);
        const more = await printStreamJson(ws, ccp.url, ["-p", "--continue", "again?"], TOOLS);
        logs.push(...ccp.logs);
        assert.equal(more.result.is_error, false, context());
        assert.equal(more.result.result, `Earlier the build said ${OUTPUT}.`, context());
        assert.deepEqual(model.problems, [], context());
        assert.equal(model.bodies.length, 5, context());
        const resumed = model.views[4]!;
        assert.ok(resumed.userTexts.some((t) => t.includes("<task-notification>")));
        assert.deepEqual(returnedMarks(wire, model.bodies[4]!), [
          markOf(wire, 1, "Run it in the background."),
          markOf(wire, 3, "It ended."),
        ]);
        assert.ok(logs.every((l) => !l.includes("e2e-token")), "token never logged");
      } finally {
        await ccp.close();
        await model.close();
        await ws.remove();
      }
    },
  });
}
