/**
 * One Claude Code session (`claude -p`, then `--continue --model …` twice) whose model changes
 * between a translated provider and Anthropic, both ways: a Kimi-style Chat Completions model
 * (reasoning in `reasoning_content`, call ids like `functions.Bash:0`) starts it with a Bash call,
 * the `anthropic` preset (a mock that refuses what the real API refuses: a thinking signature it
 * did not make, a tool id outside `toolu_…`, a tool turn that lost its leading thinking block
 * while thinking is on) goes on with a Bash call of its own, and the Chat model ends it. Each
 * upstream gets a history it accepts: Anthropic never sees ccp's signatures or the Chat ids, the
 * Chat model gets Anthropic's turn back as plain reasoning with its call paired to its result.
 * Then the same switch made by Claude Code itself in the middle of a tool loop: with
 * `--fallback-model`, the Chat model's 503 on the turn after its call reaches Claude Code as the
 * server error it falls back on, and Anthropic takes the loop over.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { startStrictAnthropic as startAnthropic } from "../mocks/anthropic_strict.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { NO_REASONING } from "../../src/translate/openai_chat/reasoning_spans.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : JSON.stringify(content ?? "");

const chunk = (delta: Obj, finish: string | null = null) => chatChunk(delta, finish, "chatcmpl-s");

/**
 * The Chat model: "start" → reasoning and a Bash call; a tool result → an answer (or, when
 * `overloaded`, the 503 of a busy server); else text.
 */
function startChat({ overloaded = false } = {}) {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const messages = body.messages as Obj[];
    // Claude Code's later system messages (its `<total_tokens>` budget) follow the tool results
    // as reminder text: the turn is still the one those results end.
    const last = messages.findLast((m) =>
      !(m.role === "user" && textOf(m.content).startsWith("<system-reminder>"))
    )!;
    const parts = [chunk({ role: "assistant", content: "" })];
    if (last.role === "tool" && overloaded) {
      const error = { message: "The engine is currently overloaded", type: "server_error" };
      return Response.json({ error }, { status: 503 });
    } else if (last.role === "tool") {
      parts.push(chunk({ reasoning_content: "Echo done." }), chunk({ content: "Chat saw one." }));
      parts.push(chunk({}, "stop"));
    } else if (textOf(last.content).includes("start")) {
      const args = JSON.stringify({ command: "echo one", description: "Say one" });
      parts.push(
        chunk({ reasoning_content: "Chat plans one." }),
        chunk({
          tool_calls: [{
            index: 0,
            id: "functions.Bash:0",
            type: "function",
            function: { name: "Bash", arguments: args },
          }],
        }),
        chunk({}, "tool_calls"),
      );
    } else {
      parts.push(chunk({ content: "Chat ends it." }), chunk({}, "stop"));
    }
    const usage = { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 };
    return chatStreamAnswer(parts, usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

const ONE_MINUTE = { ms: 60_000 };

// Anthropic itself (the `anthropic` preset), and a gateway in front of it: a `type: anthropic`
// provider without a preset, which may hand the request to Anthropic.
const ANTHROPIC_SIDES = [
  { label: "Anthropic", preset: "anthropic" },
  { label: "a gateway to Anthropic (no preset)", preset: undefined },
] as const;

for (const side of ANTHROPIC_SIDES) {
  Deno.test({
    name: `real Claude Code switches model mid-session between a Chat model and ${side.label}, ` +
      "both ways: each upstream gets a history it accepts, signatures and call ids included",
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => switchBothWays(side.preset),
  });
}

async function switchBothWays(preset: string | undefined): Promise<void> {
  const chat = startChat();
  const anthropic = startAnthropic();
  await using stage = await claudeStage(
    "ccp-switch-",
    testConfig({
      providers: [
        provider("kimi", {
          type: "openai",
          baseUrl: chat.url,
          authHeader: "bearer",
          maxRetries: 0,
          dialect: OPENAI_DIALECTS.kimi!,
        }),
        provider("claude", {
          baseUrl: anthropic.url,
          ...(preset ? { preset } : {}),
          apiKeys: ["sk-ant-test"],
          maxRetries: 0,
        }),
      ],
      routes: { default: "kimi/k2", haiku: "kimi/k2", opus: "claude/claude-opus-5-5" },
      authToken: "e2e-token",
    }),
    { mocks: [chat, anthropic], guarded: true },
  );
  const { ws, ccp } = stage;
  const first = await printJson(ws, ccp.url, ["-p", "--model", "haiku", "start"], ONE_MINUTE);
  assert.equal(first.is_error, false, JSON.stringify(first) + ccp.logs.join(""));
  assert.equal(first.result, "Chat saw one.");
  const second = await printJson(
    ws,
    ccp.url,
    ["-p", "--continue", "--model", "opus", "go on"],
    ONE_MINUTE,
  );
  assert.equal(second.is_error, false, JSON.stringify(second) + ccp.logs.join(""));
  assert.equal(second.result, "Anthropic saw two.");
  const third = await printJson(
    ws,
    ccp.url,
    ["-p", "--continue", "--model", "haiku", "finish"],
    ONE_MINUTE,
  );
  assert.equal(third.is_error, false, JSON.stringify(third) + ccp.logs.join(""));
  assert.equal(third.result, "Chat ends it.");

  assert.deepEqual(anthropic.problems, []);
  assert.equal(anthropic.bodies.length, 2);
  assert.equal(chat.bodies.length, 3);
  for (const body of chat.bodies) {
    const messages = body.messages as Obj[];
    assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages));
  }
  // Anthropic got the Chat turn's call under a toolu_ id, its reasoning left out (ccp signed
  // it), and its own signed thinking back on the turn after.
  const toAnthropic = JSON.stringify(anthropic.bodies);
  assert.ok(!toAnthropic.includes("ccp:v1:"), "no ccp signature reaches Anthropic");
  assert.ok(!toAnthropic.includes("functions.Bash:0"), "no Chat call id reaches Anthropic");
  assert.ok(!toAnthropic.includes("Chat plans one."));
  assert.match(toAnthropic, /"signature":"anth-sig-1"/);
  // The Chat model got its own call id back, its reasoning on its own tool turn, and
  // Anthropic's call paired with its result (reasoning from elsewhere is not replayed).
  const messages = chat.bodies[2]!.messages as Obj[];
  const turns = messages.filter((m) => m.tool_calls);
  assert.deepEqual(
    turns.map((m) => [(m.tool_calls as Obj[])[0]!.id, m.reasoning_content]),
    [["functions.Bash:0", "Chat plans one."], ["toolu_anth_1", NO_REASONING]],
  );
  assert.ok(!JSON.stringify(messages).includes("anth-sig-"), "no signature reaches Chat");
}

/** Both upstreams behind one ccp: the Chat model on the opus tier, Anthropic on sonnet. */
async function switchingCcp(chatUrl: string, anthropicUrl: string) {
  return await startGuardedCcp(
    testConfig({
      providers: [
        provider("kimi", {
          type: "openai",
          baseUrl: chatUrl,
          authHeader: "bearer",
          maxRetries: 0,
          dialect: OPENAI_DIALECTS.kimi!,
        }),
        provider("claude", {
          baseUrl: anthropicUrl,
          preset: "anthropic",
          apiKeys: ["sk-ant-test"],
          maxRetries: 0,
        }),
      ],
      routes: { default: "kimi/k2", sonnet: "claude/claude-sonnet-5-5" },
      authToken: "e2e-token",
    }),
  );
}

Deno.test({
  name: "real Claude Code with --fallback-model: the Chat model's 503 mid tool loop makes Claude " +
    "Code fall back to Anthropic, which accepts the loop's history",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-fallback-");
    const chat = startChat({ overloaded: true });
    const anthropic = startAnthropic();
    const ccp = await switchingCcp(chat.url, anthropic.url);
    try {
      const args = ["-p", "start", "--fallback-model", "sonnet", ...STREAM_JSON];
      const tools = ["--permission-mode", "acceptEdits", "--allowedTools", "Bash"];
      // Claude Code's own retries are off (claudeEnv): its fallback does not wait for them.
      const out = await runClaude(
        [...args, ...tools],
        ws.work,
        claudeEnv(ws.home, ccp.url),
        60_000,
      );
      const events = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)
        .map((line) => JSON.parse(line) as Obj);
      const result = events.find((e) => e.type === "result");
      assert.equal(result?.is_error, false, JSON.stringify(events.at(-1)) + ccp.logs.join(""));
      assert.equal(result?.result, "Anthropic saw two.");
      const fallback = events.find((e) => e.subtype === "model_fallback");
      assert.equal(fallback?.fallback_model, "claude-sonnet-5-5", JSON.stringify(events));

      assert.equal(chat.bodies.length, 2, "the call, then the 503 on its result");
      assert.deepEqual(anthropic.problems, []);
      // Anthropic took over with the Chat call and its result under a toolu_ id, no ccp
      // signature, then its own call.
      assert.equal(anthropic.bodies.length, 2);
      const first = JSON.stringify(anthropic.bodies[0]!.messages);
      assert.match(first, /"tool_use_id":"toolu_functions_Bash_0_[0-9a-f]+"/);
      assert.ok(!JSON.stringify(anthropic.bodies).includes("ccp:v1:"));
    } finally {
      await ccp.close();
      await chat.close();
      await anthropic.close();
      await ws.remove();
    }
  },
});
