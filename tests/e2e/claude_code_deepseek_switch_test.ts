/**
 * One Claude Code session whose model changes mid-way, with thinking on, between Kimi on Moonshot's
 * Chat Completions API (the `kimi` preset: reasoning in `reasoning_content`, wanted back on every
 * tool-call turn) and DeepSeek on its Anthropic-compatible API (the `deepseek` preset, behind
 * tests/mocks/thinking_anthropic.ts: a tool-call turn without a thinking block is a 400 while
 * thinking is on). Three `claude -p` runs (`--continue --model …`), each model calling Bash twice
 * in parallel, then answering. Claude Code drops the thinking another model wrote when the model
 * changes, so DeepSeek gets Kimi's tool-call turns with no thinking: ccp gives each an empty
 * thinking block, which DeepSeek takes, and its own thinking goes back as it came. Kimi gets
 * DeepSeek's turn with the placeholder reasoning. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { startThinkingAnthropic } from "../mocks/thinking_anthropic.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const PROMPTS = ["start on kimi", "go on with deepseek", "finish on kimi"];

/** Whether the model already called its tools since the user's last prompt. */
function calledSincePrompt(messages: Obj[]): boolean {
  const prompt = messages.findLastIndex((m) =>
    m.role === "user" && PROMPTS.some((p) => JSON.stringify(m.content).includes(p))
  );
  return messages.slice(prompt + 1).some((m) => m.role === "assistant");
}

const bash = (command: string) => ({ name: "Bash", input: { command, description: command } });

/**
 * Kimi's Chat Completions API with thinking on: a tool-call turn without `reasoning_content` is
 * refused in Moonshot's words.
 */
function startKimi() {
  const bodies: Obj[] = [];
  const refusals: string[] = [];
  let calls = 0;
  const chunk = (delta: Obj, finish: string | null = null) => chatChunk(delta, finish, "cmpl-k");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const messages = body.messages as Obj[];
    const thinking = (body.thinking as Obj | undefined)?.type === "enabled";
    const bare = messages.findIndex((m) => m.tool_calls && m.reasoning_content === undefined);
    const problem = chatHistoryProblem(messages) ??
      (thinking && bare >= 0
        ? `thinking is enabled but reasoning_content is missing in assistant tool call message at index ${bare}`
        : undefined);
    if (problem) {
      refusals.push(problem);
      const error = { message: problem, type: "invalid_request_error" };
      return Response.json({ error }, { status: 400 });
    }
    const parts = [chunk({ role: "assistant", content: "" })];
    if (calledSincePrompt(messages)) {
      parts.push(chunk({ reasoning_content: "Kimi read both." }), chunk({ content: "kimi done" }));
      parts.push(chunk({}, "stop"));
    } else {
      parts.push(chunk({ reasoning_content: "Kimi runs two." }));
      for (const [index, command] of ["echo k1", "echo k2"].entries()) {
        const id = `functions.Bash:${calls++}`;
        const args = JSON.stringify(bash(command).input);
        const call = { index, id, type: "function", function: { name: "Bash", arguments: args } };
        parts.push(chunk({ tool_calls: [call] }));
      }
      parts.push(chunk({}, "tool_calls"));
    }
    return chatStreamAnswer(parts, { prompt_tokens: 1200, completion_tokens: 30 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    refusals,
    close: () => server.shutdown(),
  };
}

const blocksOf = (m: Obj): Obj[] => Array.isArray(m.content) ? m.content as Obj[] : [];

Deno.test({
  name: "real Claude Code switches between Kimi (Chat) and DeepSeek (Anthropic API) with " +
    "thinking on and parallel Bash calls: every tool-call turn reaches DeepSeek with thinking",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const kimi = startKimi();
    const deepseek = startThinkingAnthropic(
      "deepseek",
      (messages) =>
        calledSincePrompt(messages)
          ? { thinking: "DeepSeek read both.", text: "deepseek done" }
          : { thinking: "DeepSeek runs two.", calls: [bash("echo d1"), bash("echo d2")] },
    );
    await using stage = await claudeStage(
      "ccp-deepseek-switch-",
      testConfig({
        providers: [
          provider("kimi", {
            preset: "kimi",
            type: "openai",
            baseUrl: kimi.url,
            authHeader: "bearer",
            apiKeys: ["sk-kimi"],
            maxRetries: 0,
          }),
          provider("deepseek", {
            preset: "deepseek",
            baseUrl: deepseek.url,
            apiKeys: ["sk-deepseek"],
            maxRetries: 0,
            countTokens: false,
          }),
        ],
        routes: {
          default: "kimi/kimi-k2-thinking",
          haiku: "kimi/kimi-k2-thinking",
          opus: "deepseek/deepseek-v4-pro",
        },
        authToken: "e2e-token",
      }),
      { mocks: [kimi, deepseek] },
    );
    const { ws, ccp } = stage;
    const runs: [string[], string][] = [
      [["--model", "haiku", PROMPTS[0]!], "kimi done"],
      [["--continue", "--model", "opus", PROMPTS[1]!], "deepseek done"],
      [["--continue", "--model", "haiku", PROMPTS[2]!], "kimi done"],
    ];
    for (const [args, answer] of runs) {
      const result = await printJson(ws, ccp.url, ["-p", ...args], { ms: 40_000 });
      const seen = JSON.stringify(result) + deepseek.refusals.join("\n") + kimi.refusals.join("\n");
      assert.equal(result.is_error, false, seen);
      assert.equal(result.result, answer, seen);
    }
    assert.deepEqual([deepseek.refusals, kimi.refusals], [[], []]);
    assert.equal(kimi.bodies.length, 4, "two requests per Kimi run");
    assert.equal(deepseek.bodies.length, 2);

    // DeepSeek's first request carries Kimi's two parallel calls as one turn, with an empty
    // thinking block in front; its second its own turn with the thinking and signature it wrote.
    const [first, second] = deepseek.bodies.map((b) =>
      (b.messages as Obj[]).filter((m) => m.role === "assistant" && blocksOf(m).length > 0)
    );
    const kimiTurn = first!.find((m) => blocksOf(m).some((b) => b.type === "tool_use"))!;
    assert.deepEqual(
      blocksOf(kimiTurn).map((b) => b.type === "thinking" ? `thinking:${b.thinking}` : b.type),
      ["thinking:", "tool_use", "tool_use"],
    );
    const ownTurn = second!.findLast((m) => blocksOf(m).some((b) => b.type === "tool_use"))!;
    const own = blocksOf(ownTurn)[0]!;
    assert.equal(own.thinking, "DeepSeek runs two.");
    assert.match(String(own.signature), /^deepseek1-/);

    // Back on Kimi, DeepSeek's calls went as one tool-call turn with reasoning, paired results.
    const last = kimi.bodies.at(-1)!.messages as Obj[];
    const dsTurn = last.find((m) =>
      (m.tool_calls as Obj[] | undefined)?.length === 2 &&
      JSON.stringify(m.tool_calls).includes("echo d1")
    )!;
    assert.ok(typeof dsTurn.reasoning_content === "string", JSON.stringify(dsTurn));
  },
});
