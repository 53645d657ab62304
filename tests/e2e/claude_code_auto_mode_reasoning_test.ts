/**
 * Auto mode's own check (`CLAUDE_CODE_AUTO_MODE_SERVER=0`) with the sonnet route on a model that
 * reasons whatever it is told (DeepSeek's reasoner, on Chat Completions and through the relay to
 * DeepSeek's Anthropic-compatible API): the classifier asks for 64 output tokens with thinking
 * disabled, and the reasoning counts against that limit. Without room for the reasoning on top,
 * the quick grade never gets written, so every risky call also costs the classifier's slower
 * second stage, and reasoning longer than that stage's own limit leaves Claude Code unable to
 * judge the call, which it then blocks. With that room, the real `claude -p` in auto mode runs a
 * risky command on the classifier's word.
 * Skipped without `claude`.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { startReasoningChat, startThinkingAnthropic } from "../mocks/reasoning_models.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

// Risky-looking (a script piped into a shell) but harmless: nothing listens on port 9.
const RISKY = "curl -s http://127.0.0.1:9/install.sh | sh";

/** The agent's upstream: one Bash call of {@link RISKY}, then, after its result, a text answer. */
function startAgent() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const stream = body.stream === true;
    const messages = body.messages as Obj[];
    if (messages.at(-1)?.role === "tool") {
      return chatAnswer(stream, { content: "Installed." }, "stop", "agent");
    }
    const args = JSON.stringify({ command: RISKY, description: "Install" });
    const call = { id: "call_1", type: "function", function: { name: "Bash", arguments: args } };
    return chatAnswer(stream, { content: null, tool_calls: [call] }, "tool_calls", "agent");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}

/** DeepSeek's two APIs, each with a reasoner that thinks `reasoning` tokens whatever it is told. */
const WIRES = {
  "Chat Completions": (reasoning: number) => startReasoningChat(() => reasoning),
  "Anthropic-compatible relay": (reasoning: number) => startThinkingAnthropic(() => reasoning),
};
type Wire = keyof typeof WIRES;

/** What one `claude -p` run in auto mode left: its events, and what each upstream received. */
async function autoRun(reasoning: number, wire: Wire) {
  await using ws = await claudeWorkspace("ccp-auto-reason-");
  const { work, home } = ws;
  const agent = startAgent();
  const reasoner = WIRES[wire](reasoning);
  const type: ProviderConfig["type"] = wire === "Chat Completions" ? "openai" : "anthropic";
  await using stage = await claudeStage(
    ws,
    testConfig({
      providers: [
        provider("up", { type: "openai", baseUrl: agent.url, maxRetries: 0 }),
        provider("ds", {
          type,
          preset: "deepseek",
          baseUrl: reasoner.url,
          apiKeys: ["sk-test"],
          authHeader: "bearer",
          maxRetries: 0,
        }),
      ],
      routes: { default: "up/agent", sonnet: "ds/deepseek-reasoner" },
      authToken: "e2e-token",
    }),
    { mocks: [agent, reasoner], guarded: true },
  );
  const { ccp } = stage;
  const env = { ...claudeEnv(home, ccp.url), CLAUDE_CODE_AUTO_MODE_SERVER: "0" };
  const out = await runClaude(
    ["-p", "install it", ...STREAM_JSON, "--permission-mode", "auto"],
    work,
    env,
    30_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const events = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const said = `${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`;
  return { events: events as Obj[], said, agent: agent.bodies, checks: reasoner.bodies };
}

/**
 * Claude Code's classifier asks in up to two stages: a quick grade in 64 tokens, then, when that
 * does not allow the call (a grade to block it, or none at all), one that thinks first in 8192;
 * both with thinking disabled. The mock's verdict allows.
 */
const CASES = [
  // A short thought: with room for it, the quick stage answers and the second is never needed.
  { reasoning: 300, stages: 1, what: "the quick stage answers" },
  // Longer than the second stage's own 8192 tokens: only the room on top lets it answer.
  { reasoning: 9_000, stages: 2, what: "the thinking stage answers" },
];

for (const wire of Object.keys(WIRES) as Wire[]) {
  for (const { reasoning, stages, what } of CASES) {
    Deno.test({
      name:
        `claude -p in auto mode through ccp, its classifier on DeepSeek's reasoner (${wire}), ` +
        `which reasons ${reasoning} tokens whatever it is told: ${what}, and the risky command ` +
        "runs without asking",
      ignore: claude === undefined,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const { events, said, agent, checks } = await autoRun(reasoning, wire);
        const result = events.find((e) => e.type === "result");
        assert.ok(result, `no result line:\n${said}`);
        assert.deepEqual(result.permission_denials, [], said);
        assert.equal(result.is_error, false, said);
        assert.equal(result.result, "Installed.");
        // The call ran on the classifier's word, not on a rule or a prompt.
        const ran = events.find((e) => e.type === "user" && Array.isArray(e.tool_result_meta));
        const meta = (ran?.tool_result_meta as Obj[] | undefined)?.[0];
        assert.deepEqual(meta?.permission_decision, {
          decision: "accept",
          source: "config",
          reason_type: "classifier",
        }, said);
        assert.equal(agent.length, 2, "the command's result went back to the agent");
        assert.match(JSON.stringify(agent[1]!.messages), /Bash completed with no output/);
        // Each stage asked once, through ccp, with room for the reasoning on top of its limit.
        assert.equal(checks.length, stages, JSON.stringify(checks.map((b) => b.max_tokens)));
        for (const body of checks) {
          assert.equal(body.model, "deepseek-reasoner");
          assert.deepEqual(body.thinking, { type: "disabled" });
        }
        assert.match(JSON.stringify(checks[0]!.messages), /install\.sh \| sh/);
        assert.ok(Number(checks.at(-1)!.max_tokens) > reasoning, String(checks.at(-1)!.max_tokens));
      },
    });
  }
}
