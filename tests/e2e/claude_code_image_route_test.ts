/**
 * A picture read from disk in a session whose model cannot see images, with an `image` route to
 * one that can, through ccp with the real `claude -p`: the main model (a thinking Chat model with
 * DeepSeek's rules, no vision) calls Read on a PNG; the request carrying the picture goes to the
 * image route (Gemini, behind the strict request check of tests/mocks/gemini_strict.ts), whose
 * model looks and calls Bash; the request with Bash's result has no picture and goes back to the
 * main model; `--continue` stays there. Each provider gets a history it accepts, though turns of
 * the other are in it: Gemini the Chat model's call with its placeholder signature, DeepSeek
 * Gemini's call with the reasoning field it requires. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import {
  claudeStage,
  type ClaudeWorkspace,
  PNG_1X1,
  printStreamJson,
} from "../helpers/claude_print.ts";
import { testConfig } from "../helpers/config.ts";
import { SKIP_SIGNATURE } from "../../src/translate/gemini/contents.ts";
import {
  markOf,
  type Move,
  returnedMarks,
  startAgentModel,
  type View,
} from "../mocks/two_wire_agent.ts";
import { NO_REASONING } from "../../src/translate/openai_chat/reasoning_spans.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** The main model: read the picture; after Bash's result, answer; asked again, answer again. */
function mainModel(view: View): Move {
  if (view.lastTexts.some((t) => t.includes("again"))) {
    return { think: "Recall.", text: "Still a picture of one pixel." };
  }
  if (view.afterResult && view.results.at(-1) === "seen") {
    return { think: "Done.", text: "It is a picture of one pixel." };
  }
  return { think: "Look at it.", call: { name: "Read", args: { file_path: "pic.png" } } };
}

/** The image model: with the picture in front of it, note that it saw it. */
function imageModel(view: View): Move {
  return view.raw.includes('"inlineData"')
    ? {
      think: "A pixel.",
      call: { name: "Bash", args: { command: "echo seen", description: "Note" } },
    }
    : { think: "Nothing to see.", text: "No picture reached me." };
}

/** The result of one `claude -p` run with Bash and Read allowed. */
async function run(ws: ClaudeWorkspace, url: string, args: string[]): Promise<Obj> {
  return (await printStreamJson(ws, url, args, { tools: ["Bash", "Read"] })).result;
}

Deno.test({
  name: "real Claude Code through ccp: a picture read on a model without vision goes to the " +
    "image route, whose tool call the main model's history then carries",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const main = startAgentModel("chat", mainModel);
    const eyes = startAgentModel("gemini", imageModel);
    await using stage = await claudeStage(
      "ccp-image-route-",
      testConfig({
        providers: [main.provider, { ...eyes.provider, id: "eyes" }],
        routes: { default: main.target, image: "eyes/gemini-3.8-flash" },
        authToken: "e2e-token",
      }),
      { mocks: [main, eyes], guarded: true },
    );
    const { ws, ccp } = stage;
    await Deno.writeFile(
      `${ws.work}/pic.png`,
      Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
    );
    const first = await run(ws, ccp.url, ["-p", "What is in pic.png?"]);
    const context = () =>
      `${JSON.stringify(first)}\n${main.problems}\n${eyes.problems}\n${ccp.logs.join("")}`;
    assert.equal(first.is_error, false, context());
    assert.equal(first.result, "It is a picture of one pixel.", context());
    assert.deepEqual([main.problems, eyes.problems], [[], []], context());
    // Main: the Read call; image route: the picture; main: Bash's result.
    assert.equal(main.bodies.length, 2, context());
    assert.equal(eyes.bodies.length, 1, context());
    assert.ok(
      ccp.logs.some((l) => l.includes("→ eyes/gemini-3.8-flash") && l.includes("[image]")),
    );
    // Gemini got the Chat model's call with the placeholder signature, and the picture.
    assert.deepEqual(returnedMarks("gemini", eyes.bodies[0]!), [SKIP_SIGNATURE]);
    // DeepSeek got its own call with its reasoning, and Gemini's with the field it requires,
    // empty: Gemini's thoughts are no reasoning DeepSeek made.
    assert.deepEqual(returnedMarks("chat", main.bodies[1]!), [
      markOf("chat", 1, "Look at it."),
      NO_REASONING,
    ]);
    assert.ok(!JSON.stringify(main.bodies).includes("image_url"), "a picture reached DeepSeek");

    const again = await run(ws, ccp.url, ["-p", "--continue", "again?"]);
    assert.equal(again.result, "Still a picture of one pixel.", context());
    assert.deepEqual([main.problems, eyes.problems], [[], []], context());
    assert.equal(main.bodies.length, 3, context());
    // The picture stays in the history, but not in the last user turn: no image route.
    assert.equal(eyes.bodies.length, 1, context());
    assert.ok(
      !JSON.stringify(main.bodies[2]).includes("image_url"),
      "a picture reached DeepSeek",
    );
  },
});
