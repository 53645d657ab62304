/**
 * `claude -p --input-format stream-json` (the Agent SDK's streaming input) through ccp to a
 * thinking Chat model with DeepSeek's rules: three user messages, each sent once the last one's
 * result arrived, in one Claude Code process, each turn a Bash call and an answer. Every request
 * is a Chat history DeepSeek accepts (reasoning back on every tool-call turn), and each begins
 * with the one before it. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { claudeWorkspace } from "../helpers/claude_print.ts";
import { claudeEnv, findClaude, STREAM_JSON } from "../helpers/claude.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { within } from "../helpers/within.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** Each turn N: reasoning and `echo outN`; after its result, reasoning and an answer. */
function startDeepSeek() {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const messages = body.messages as Obj[];
    const problem = chatHistoryProblem(messages);
    if (problem) problems.push(problem);
    for (const [i, m] of messages.entries()) {
      if (m.role === "assistant" && m.tool_calls && typeof m.reasoning_content !== "string") {
        problems.push(`request ${bodies.length}: no reasoning_content on the tool turn ${i}`);
      }
    }
    const asked = JSON.stringify(messages.findLast((m) => m.role === "user")?.content ?? "");
    const turn = /TURN(\d)/.exec(asked)?.[1] ?? "?";
    const last = messages.at(-1)!;
    let sse = chatChunk({ role: "assistant", reasoning_content: `Thinking on turn ${turn}.` });
    if (last.role === "tool") {
      sse += chatChunk({ content: `Turn ${turn}: ${String(last.content).trim()}` }) +
        chatChunk({}, "stop");
    } else {
      const args = JSON.stringify({ command: `echo out${turn}`, description: "Echo" });
      sse += chatChunk({
        tool_calls: [{
          index: 0,
          id: `call_${bodies.length}`,
          type: "function",
          function: { name: "Bash", arguments: args },
        }],
      }) + chatChunk({}, "tool_calls");
    }
    const usage = { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 };
    return chatStreamAnswer([sse], usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "claude -p with streaming JSON input through ccp: three user messages in one process on " +
    "a thinking Chat model, each a tool call and an answer; every request valid and a prefix of the next",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-stream-input-");
    const up = startDeepSeek();
    const ccp = startCcp(testConfig({
      providers: [provider("ds", {
        type: "openai",
        baseUrl: up.url,
        authHeader: "bearer",
        maxRetries: 0,
        dialect: OPENAI_DIALECTS.deepseek!,
      })],
      routes: { default: "ds/deepseek-reasoner" },
      authToken: "e2e-token",
    }));
    const child = new Deno.Command("claude", {
      args: [
        "-p",
        "--input-format",
        "stream-json",
        ...STREAM_JSON,
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        "Bash",
      ],
      cwd: ws.work,
      env: claudeEnv(ws.home, ccp.url),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdin = child.stdin.getWriter();
    const send = (text: string) =>
      stdin.write(new TextEncoder().encode(
        `${JSON.stringify({ type: "user", message: { role: "user", content: text } })}\n`,
      ));
    const results: Obj[] = [];
    try {
      await send("TURN1: run the echo");
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
      let buffered = "";
      await within(
        (async () => {
          for await (const piece of lines) {
            buffered += piece;
            const complete = buffered.split("\n");
            buffered = complete.pop()!;
            for (const line of complete.filter(Boolean)) {
              const event = JSON.parse(line);
              if (event.type !== "result") continue;
              results.push(event);
              if (results.length === 3) return;
              await send(`TURN${results.length + 1}: run it again`);
            }
          }
        })(),
        45_000,
        "three results",
      );
    } finally {
      await stdin.close().catch(() => {});
      const status = await within(child.status, 10_000, "claude exiting").catch(() => {
        child.kill();
        return undefined;
      });
      await child.stderr.cancel().catch(() => {});
      await ccp.close();
      await up.close();
      await ws.remove();
      assert.ok(status === undefined || status.success, `claude exited ${status?.code}`);
    }
    const context = `\n${JSON.stringify(results)}\n${up.problems}\n${ccp.logs.join("")}`;
    assert.deepEqual(
      results.map((r) => [r.is_error, r.result]),
      [[false, "Turn 1: out1"], [false, "Turn 2: out2"], [false, "Turn 3: out3"]],
      context,
    );
    assert.deepEqual(up.problems, [], context);
    assert.equal(up.bodies.length, 6, context);
    const sent = up.bodies.map((b) => JSON.stringify(b.messages));
    for (let i = 1; i < sent.length; i++) {
      assert.ok(sent[i]!.startsWith(sent[i - 1]!.slice(0, -1)), `request ${i + 1}${context}`);
    }
    // The last request holds all three tool turns, each with its own reasoning.
    const turns = (up.bodies.at(-1)!.messages as Obj[]).filter((m) => m.tool_calls);
    assert.deepEqual(
      turns.map((m) => m.reasoning_content),
      [1, 2, 3].map((n) => `Thinking on turn ${n}.`),
    );
  },
});
