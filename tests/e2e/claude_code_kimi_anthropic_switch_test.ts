/**
 * A session begun on Gemini with thinking (behind the strict request check of
 * tests/mocks/gemini_strict.ts) and switched with `--continue --model sonnet` to Kimi on
 * Moonshot's Anthropic-compatible API (the `moonshot_anthropic` preset, behind
 * tests/mocks/thinking_anthropic.ts: with thinking on, an assistant tool-call turn without a
 * thinking block is a 400 "thinking is enabled but reasoning_content is missing in assistant tool
 * call message"), then back to Gemini. Each model calls Bash (Kimi two calls in parallel), then
 * answers. Claude Code drops Gemini's thinking when the model changes, so Kimi gets Gemini's
 * call with no thinking: ccp gives it an empty thinking block, and Kimi's own thinking and
 * signature go back as they came; back on Gemini, its own call keeps its signature and Kimi's
 * calls go as calls made elsewhere. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startThinkingAnthropic } from "../mocks/thinking_anthropic.ts";
import { markOf, returnedMarks, startAgentModel } from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const THINK = "Run it.";
const KIMI_PROMPT = "go on with kimi";

const blocksOf = (m: Obj): Obj[] => Array.isArray(m.content) ? m.content as Obj[] : [];
const bash = (command: string) => ({ name: "Bash", input: { command, description: command } });

Deno.test({
  name: "real Claude Code: a thinking session on Gemini switched to Kimi's Anthropic API and " +
    "back: Gemini's tool-call turn reaches Kimi with a thinking block, each keeps its own",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const gemini = startAgentModel(
      "gemini",
      (view) =>
        view.afterResult ? { think: "Seen.", text: `Gemini saw ${view.results.at(-1)}.` } : {
          think: THINK,
          call: { name: "Bash", args: { command: "echo g", description: "Echo" } },
        },
    );
    const kimi = startThinkingAnthropic("moonshot", (messages) => {
      const prompt = messages.findLastIndex((m) => JSON.stringify(m.content).includes(KIMI_PROMPT));
      return messages.slice(prompt + 1).some((m) => m.role === "assistant")
        ? { thinking: "Kimi read both.", text: "kimi done" }
        : { thinking: "Kimi runs two.", calls: [bash("echo k1"), bash("echo k2")] };
    });
    await using stage = await claudeStage(
      "ccp-kimi-anthropic-switch-",
      testConfig({
        providers: [
          gemini.provider,
          provider("kimi", {
            preset: "moonshot_anthropic",
            baseUrl: kimi.url,
            authHeader: "bearer",
            apiKeys: ["sk-moonshot"],
            maxRetries: 0,
            countTokens: false,
          }),
        ],
        routes: { default: gemini.target, sonnet: "kimi/kimi-k2.6" },
        authToken: "e2e-token",
      }),
      { mocks: [gemini, kimi], guarded: true },
    );
    const { ws, ccp } = stage;
    const runs: [string[], string][] = [
      [["start"], "Gemini saw g."],
      [["--continue", "--model", "sonnet", KIMI_PROMPT], "kimi done"],
      [["--continue", "--model", "opus", "back on gemini"], "Gemini saw g."],
    ];
    for (const [args, answer] of runs) {
      const out = await printJson(ws, ccp.url, ["-p", ...args], { ms: 40_000, tools: ["Bash"] });
      const why = JSON.stringify({ out, kimi: kimi.refusals, gemini: gemini.problems });
      assert.equal(out.is_error, false, why);
      assert.equal(out.result, answer, why);
    }
    assert.deepEqual([kimi.refusals, gemini.problems], [[], []]);
    assert.equal(kimi.bodies.length, 2);
    assert.equal(gemini.bodies.length, 4);

    // Kimi's first request: Gemini's call as a tool-call turn led by an empty thinking block,
    // and nothing of ccp's signatures.
    const toolTurns = (body: Obj) =>
      (body.messages as Obj[]).filter((m) =>
        m.role === "assistant" && blocksOf(m).some((b) => b.type === "tool_use")
      );
    const [geminiTurn] = toolTurns(kimi.bodies[0]!);
    assert.deepEqual(
      blocksOf(geminiTurn!).map((b) => b.type === "thinking" ? `thinking:${b.thinking}` : b.type),
      ["thinking:", "tool_use"],
    );
    assert.ok(!JSON.stringify(kimi.bodies).includes("ccp:v1:"), "a ccp signature reached Kimi");
    // Its second: its own parallel calls after its own thinking, as it wrote them.
    const own = toolTurns(kimi.bodies[1]!).at(-1)!;
    const [thinking, ...calls] = blocksOf(own);
    assert.equal(thinking!.thinking, "Kimi runs two.");
    assert.match(String(thinking!.signature), /^moonshot1-/);
    assert.deepEqual(calls.map((c) => c.type), ["tool_use", "tool_use"]);

    // Back on Gemini: its own first call with its signature, Kimi's two as calls made elsewhere
    // (Gemini reads the signature of a step's first call only), then its new call with its own.
    const marks = returnedMarks("gemini", gemini.bodies[3]!).map((m) =>
      m === "undefined" ? "-" : m
    );
    assert.deepEqual(marks, [
      markOf("gemini", 1, THINK),
      "skip_thought_signature_validator",
      "-",
      markOf("gemini", 3, THINK),
    ]);
  },
});
