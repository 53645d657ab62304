/**
 * A project skill (`.claude/skills/<name>/SKILL.md`) with the real `claude -p` through ccp on
 * Gemini and on a thinking Chat model with DeepSeek's rules, used both ways a user meets one:
 * the model calls the Skill tool, and the skill's instructions (its `$ARGUMENTS` filled in)
 * arrive beside the tool's result, which the model follows with a Bash call; then, with
 * `--continue`, the user types `/<skill> <args>` and the instructions arrive as the prompt.
 * Every request is one the provider accepts, with each call's signature or reasoning back.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, type ClaudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
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

const SKILL = "release-notes";
const DESCRIPTION = "Writes the release notes of a version (SKILL-DESC-5e2)";
const BODY = "SKILL-BODY-5e2: run `echo notes-$ARGUMENTS`, then say the notes are written.";

/** The instructions as the model should get them for `version`. */
const instructions = (version: string) => BODY.replace("$ARGUMENTS", version);

/**
 * The model: a request for release notes calls the Skill tool; the skill's instructions lead to
 * their Bash call; its result to the answer; a typed `/release-notes` to an answer at once.
 */
function script(view: View): Move {
  const said = view.lastTexts.join("\n");
  const typed = /<command-args>(\S+)<\/command-args>/.exec(said)?.[1];
  if (typed && said.includes(instructions(typed))) {
    return { think: "Typed.", text: `Notes for ${typed} from the typed skill.` };
  }
  const loaded = /SKILL-BODY-5e2: run `echo notes-(\S+)`/.exec(said)?.[1];
  if (loaded) {
    return {
      think: "Follow the skill.",
      call: { name: "Bash", args: { command: `echo notes-${loaded}`, description: "Notes" } },
    };
  }
  const notes = /^notes-(\S+)/.exec(view.results.at(-1) ?? "")?.[1];
  if (view.afterResult && notes) return { think: "Done.", text: `Notes for ${notes} written.` };
  return { think: "Use the skill.", call: { name: "Skill", args: { skill: SKILL, args: "v2" } } };
}

/** The result of one `claude -p` run with the Skill tool and Bash allowed. */
async function run(ws: ClaudeWorkspace, url: string, args: string[]): Promise<Obj> {
  return (await printStreamJson(ws, url, args, { tools: ["Bash", "Skill"] })).result;
}

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code through ccp (${wire}): a project skill, called by the model and ` +
      "typed as a slash command, reaches the model with its arguments",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const model = startAgentModel(wire, script);
      await using stage = await claudeStage("ccp-skill-", model.config, {
        mocks: [model],
        guarded: true,
      });
      const { ws, ccp } = stage;
      await Deno.mkdir(`${ws.work}/.claude/skills/${SKILL}`, { recursive: true });
      await Deno.writeTextFile(
        `${ws.work}/.claude/skills/${SKILL}/SKILL.md`,
        `---\nname: ${SKILL}\ndescription: ${DESCRIPTION}\n---\n${BODY}\n`,
      );
      const first = await run(ws, ccp.url, ["-p", "Write the notes for v2"]);
      const context = () =>
        `${JSON.stringify(first)}\n${model.problems}\n${ccp.logs.join("")}\n${
          model.views.map((v) => v.lastTexts.join(" | ").slice(0, 600)).join("\n")
        }`;
      assert.equal(first.is_error, false, context());
      assert.equal(first.result, "Notes for v2 written.", context());
      assert.deepEqual(model.problems, [], context());
      // Skill call; its result with the instructions (Bash call); Bash's result (answer).
      assert.equal(model.bodies.length, 3, context());
      // The model was told of the skill, by its description.
      assert.ok(model.views[0]!.raw.includes(DESCRIPTION), "skill not offered");
      const loaded = model.views[1]!;
      assert.ok(loaded.afterResult, "the instructions came without the Skill result");
      assert.match(loaded.results.at(-1)!, new RegExp(`Launching skill: ${SKILL}`));
      assert.ok(loaded.lastTexts.some((t) => t.includes(instructions("v2"))), context());
      assert.deepEqual(returnedMarks(wire, model.bodies[2]!), [
        markOf(wire, 1, "Use the skill."),
        markOf(wire, 2, "Follow the skill."),
      ]);

      const typed = await run(ws, ccp.url, ["-p", "--continue", `/${SKILL} v3`]);
      assert.equal(typed.is_error, false, context());
      assert.equal(typed.result, "Notes for v3 from the typed skill.", context());
      assert.deepEqual(model.problems, [], context());
      assert.equal(model.bodies.length, 4, context());
      assert.ok(
        model.views[3]!.lastTexts.some((t) => t.includes(`<command-name>/${SKILL}</command-name>`)),
        context(),
      );
      assert.deepEqual(returnedMarks(wire, model.bodies[3]!), [
        markOf(wire, 1, "Use the skill."),
        markOf(wire, 2, "Follow the skill."),
      ]);
    },
  });
}
