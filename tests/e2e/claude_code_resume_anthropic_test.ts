/**
 * A session begun on a thinking model of another provider and resumed (`claude -p --resume <id>
 * --model sonnet`) on Anthropic, whose upstream (tests/mocks/anthropic_strict.ts) refuses a
 * thinking signature it did not issue as the real API does ("Invalid `signature` in `thinking`
 * block"); then back on the first model, and on Anthropic once more. The first model is Gemini
 * (behind the strict request check of tests/mocks/gemini_strict.ts); each run calls Bash, then
 * answers. (A Chat model's session moved to Anthropic and back with `--continue` is
 * claude_code_switch_test.ts.) Every request is one its upstream accepts:
 * Anthropic gets its own signatures back, never another model's thinking or ccp's signatures;
 * the first model gets its own marks back and Anthropic's call as a call from elsewhere. Skipped
 * when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startStrictAnthropic } from "../mocks/anthropic_strict.ts";
import {
  markOf,
  reasoningOf,
  returnedMarks,
  signatureOf,
  startAgentModel,
  type Wire,
} from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

const THINK = "Run it.";

const wire: Wire = "gemini";

Deno.test({
  name: `real Claude Code: a session begun on ${wire} with thinking, resumed on Anthropic, ` +
    "back, and on Anthropic again: no signature Anthropic did not issue reaches it",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const model = startAgentModel(
      wire,
      (view) =>
        view.afterResult ? { think: "Seen.", text: `Model saw ${view.results.at(-1)}.` } : {
          think: THINK,
          call: {
            name: "Bash",
            args: { command: `echo m${view.results.length}`, description: "Echo" },
          },
        },
    );
    const anthropic = startStrictAnthropic();
    await using stage = await claudeStage(
      `ccp-resume-anthropic-${wire}-`,
      testConfig({
        providers: [
          model.provider,
          provider("claude", {
            baseUrl: anthropic.url,
            preset: "anthropic",
            apiKeys: ["sk-ant-test"],
            maxRetries: 0,
          }),
        ],
        routes: { default: model.target, sonnet: "claude/claude-sonnet-5-5" },
        authToken: "e2e-token",
      }),
      { mocks: [model, anthropic], guarded: true },
    );
    const { ws, ccp } = stage;
    const run = async (args: string[], expected: string) => {
      const out = await printJson(ws, ccp.url, ["-p", ...args], { tools: ["Bash"] });
      const why = JSON.stringify({ out, model: model.problems, anthropic: anthropic.problems });
      assert.equal(out.is_error, false, why);
      assert.equal(out.result, expected, why);
      return String(out.session_id);
    };
    const id = await run(["start"], "Model saw m0.");
    await run(["--resume", id, "--model", "sonnet", "go on"], "Anthropic saw two.");
    await run(["--resume", id, "--model", "opus", "back"], "Model saw m2.");
    await run(["--resume", id, "--model", "sonnet", "again"], "Anthropic saw two.");

    assert.deepEqual(anthropic.problems, []);
    assert.deepEqual(model.problems, []);
    assert.equal(anthropic.bodies.length, 4);
    assert.equal(model.bodies.length, 4);
    // Anthropic's last request holds its own two signed turns, and nothing of the other
    // model's thinking, signatures or ccp's wrapping of them.
    const last = JSON.stringify(anthropic.bodies[3]);
    for (const signature of ["anth-sig-1", "anth-sig-2", "anth-sig-3"]) {
      assert.ok(last.includes(`"signature":"${signature}"`), `${signature} not sent back`);
    }
    const toAnthropic = JSON.stringify(anthropic.bodies);
    assert.ok(!toAnthropic.includes("ccp:v1:"), "a ccp signature reached Anthropic");
    for (const n of [1, 3]) {
      assert.ok(!toAnthropic.includes(reasoningOf(n, THINK)), `the model's thinking ${n}`);
      assert.ok(!toAnthropic.includes(signatureOf(n)), `the model's signature ${n}`);
    }
    // Back on the first model: its own call with its mark, Anthropic's with the mark of a
    // call made elsewhere, then its new call with its own.
    assert.deepEqual(returnedMarks(wire, model.bodies[3]!), [
      markOf(wire, 1, THINK),
      "skip_thought_signature_validator",
      markOf(wire, 3, THINK),
    ]);
    assert.ok(!JSON.stringify(model.bodies).includes("anth-sig-"));
  },
});
