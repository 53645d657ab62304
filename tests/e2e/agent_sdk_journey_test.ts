/**
 * The Claude Agent SDK's agent features through ccp on the two wires most unlike Anthropic's:
 * Gemini (behind the strict request check, each call's thought signature expected back) and a
 * DeepSeek-style thinking Chat model (each tool-call turn's reasoning expected back). One
 * `query()` declares a subagent (`agents`) and hooks; the model hands the work to the subagent,
 * which runs Bash under its own tool list; the hooks see the call; a second `query()` resumes the
 * session (`resume`) and the whole history, marks included, reaches the model again. The SDK runs
 * the Claude Code installed on PATH. Skipped, saying so, without `claude` or without the SDK's
 * package (`deno task fetch:agent-sdk`; tests/helpers/agent_sdk.ts says why it is not in
 * dev.lock).
 */

import assert from "node:assert/strict";
import {
  agentSdkOrSkip,
  collectQuery,
  resultOf,
  type SdkMessage,
  withAgentRun,
} from "../helpers/agent_sdk.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import {
  markOf,
  type Move,
  returnedMarks,
  startAgentModel,
  type View,
  type Wire,
  WIRES,
} from "../mocks/two_wire_agent.ts";

const { claude, sdk, skip } = await agentSdkOrSkip("Agent SDK journey tests");

type Obj = Record<string, unknown>;

const SUBTASK = "SUBTASK: run the release check";
const RECALL = "What did the reviewer find?";
const CHECK = "echo release-check-ok";

/**
 * The model: the main thread hands the check to the reviewer (in the foreground, so that its
 * report is the call's result), the reviewer runs Bash and reports, the main thread passes the
 * report on; resumed, it recalls the report from the history it is sent.
 */
function script(view: View): Move {
  if (view.lastTexts.some((t) => t.includes(RECALL))) {
    const report = view.results.find((r) => r.includes("reviewer:")) ?? "nothing";
    return { think: "Recall.", text: `Recalled ${report.match(/reviewer: [\w-]+/)?.[0]}` };
  }
  if (view.userTexts.some((t) => t.includes(SUBTASK))) {
    if (!view.afterResult) {
      return {
        think: "Run it.",
        call: { name: "Bash", args: { command: CHECK, description: "check" } },
      };
    }
    return { think: "Report.", text: `reviewer: ${view.results.at(-1)?.trim()}` };
  }
  if (!view.afterResult) {
    const args = {
      subagent_type: "reviewer",
      description: "release check",
      prompt: SUBTASK,
      run_in_background: false,
    };
    return { think: "Delegate.", call: { name: "Agent", args } };
  }
  return {
    think: "Pass it on.",
    text: `Done. ${view.results.at(-1)?.match(/reviewer: [\w-]+/)?.[0]}`,
  };
}

/** The tool names a request declares, on either wire. */
function declared(wire: Wire, body: Obj): string[] {
  if (wire === "gemini") {
    return ((body.tools ?? []) as Obj[]).flatMap((t) =>
      ((t.functionDeclarations ?? []) as Obj[]).map((f) => String(f.name))
    );
  }
  return ((body.tools ?? []) as Obj[]).map((t) => String((t.function as Obj).name));
}

/** Runs one query to its end, bounded, and returns its messages. */
const collect = (query: AsyncIterable<SdkMessage>, what: string) =>
  collectQuery(query, what, 60_000);

async function journey(wire: Wire) {
  const model = startAgentModel(wire, script);
  const ccp = await startGuardedCcp(model.config);
  const hooks: string[] = [];
  const hook = (input: Obj) => {
    const command = (input.tool_input as Obj | undefined)?.command;
    hooks.push([input.hook_event_name, input.tool_name, command].filter(Boolean).join(" "));
    return Promise.resolve({});
  };
  await withAgentRun(wire, { claude: claude!, ccp, close: () => model.close() }, async (run) => {
    const options = (extra: Obj): Obj =>
      run.options({ allowedTools: ["Agent", "Bash"], permissionMode: "dontAsk", ...extra });
    const first = await collect(
      sdk!.query({
        prompt: "Have the reviewer run the release check.",
        options: options({
          agents: {
            reviewer: {
              description: "Runs release checks",
              prompt: "You run release checks with Bash and report the outcome.",
              tools: ["Bash"],
            },
          },
          hooks: {
            PreToolUse: [{ matcher: "Bash", hooks: [hook] }],
            PostToolUse: [{ matcher: "Bash", hooks: [hook] }],
            SubagentStop: [{ hooks: [hook] }],
            Stop: [{ hooks: [hook] }],
          },
        }),
      }),
      `${wire}: the delegating query`,
    );
    const result = resultOf(first);
    assert.equal(result.subtype, "success", JSON.stringify(result));
    assert.equal(result.result, "Done. reviewer: release-check-ok");
    assert.deepEqual(hooks, [
      `PreToolUse Bash ${CHECK}`,
      `PostToolUse Bash ${CHECK}`,
      "SubagentStop",
      "Stop",
    ]);
    // The subagent's messages reach the SDK tagged with the call that started it.
    const agentCall = first.filter((m) => m.type === "assistant")
      .flatMap((m) => (m.message as Obj).content as Obj[]).find((b) => b.name === "Agent");
    assert.ok(agentCall, "the Agent call reached the SDK");
    assert.ok(first.some((m) => m.parent_tool_use_id === agentCall.id), "subagent messages");
    // Main thread, reviewer's call, reviewer's report, main thread's answer.
    assert.equal(model.bodies.length, 4, model.views.map((v) => v.lastTexts.at(-1)).join(" | "));
    // The reviewer's requests declare its own tools only.
    assert.deepEqual(declared(wire, model.bodies[1]!), ["Bash"]);
    assert.ok(declared(wire, model.bodies[0]!).includes("Agent"));
    // Each request came back with the marks of the calls before it, in a form the model takes.
    assert.deepEqual(model.problems, []);
    assert.deepEqual(returnedMarks(wire, model.bodies[2]!), [markOf(wire, 2, "Run it.")]);
    assert.deepEqual(returnedMarks(wire, model.bodies[3]!), [markOf(wire, 1, "Delegate.")]);

    const second = await collect(
      sdk!.query({ prompt: RECALL, options: options({ resume: result.session_id }) }),
      `${wire}: the resumed query`,
    );
    const resumed = resultOf(second);
    assert.equal(resumed.subtype, "success", JSON.stringify(resumed));
    assert.equal(resumed.session_id, result.session_id);
    assert.equal(resumed.result, "Recalled reviewer: release-check-ok");
    assert.equal(model.bodies.length, 5);
    assert.deepEqual(model.problems, []);
    assert.deepEqual(returnedMarks(wire, model.bodies[4]!), [markOf(wire, 1, "Delegate.")]);
  });
}

Deno.test({
  name: "Agent SDK through ccp: a subagent with its own tools, hooks, and resume of the session, " +
    "on Gemini and a thinking Chat model",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await Promise.all(WIRES.map(journey));
  },
});
