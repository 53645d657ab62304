/**
 * The real Claude Code with hooks in its settings (UserPromptSubmit and PostToolUse adding
 * context, PreToolUse refusing a command, Stop sending it back to work once) through ccp to a
 * Chat Completions and a Gemini upstream. Claude Code carries the hooks' words as `role:
 * "system"` messages after the tool results and keeps each where it was from then on: every
 * request an upstream gets must begin with the one before it (else its prefix cache misses for
 * the whole conversation on every tool call), and the words must still reach the model.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeStage, type ClaudeWorkspace } from "../helpers/claude_print.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;
type Move = { call: { name: string; args: Obj } } | { text: string };

/** The model's moves in order: two Bash calls (the first refused by the hook), then text. */
function move(n: number): Move {
  if (n === 1) return { call: { name: "Bash", args: { command: "echo a", description: "a" } } };
  if (n === 2) return { call: { name: "Bash", args: { command: "echo b", description: "b" } } };
  return { text: `Answer ${n}.` };
}

/** A Chat Completions or Gemini upstream playing {@link move}; a request it would refuse is a 400. */
function startUpstream(wire: "chat" | "gemini") {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const next = move(bodies.length);
    if (wire === "gemini") {
      const model = /models\/([^/:]+):/.exec(new URL(req.url).pathname)?.[1] ?? "";
      const problem = geminiRequestProblem(body, decodeURIComponent(model));
      if (problem) return problems.push(problem), invalidArgument(problem);
      const parts = "call" in next
        ? [{ functionCall: next.call, thoughtSignature: "c2ln" }]
        : [{ text: next.text }];
      const frame = {
        candidates: [{ content: { role: "model", parts }, index: 0, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 70, candidatesTokenCount: 9, totalTokenCount: 79 },
      };
      return new Response(`data: ${JSON.stringify(frame)}\r\n\r\n`, {
        headers: { "content-type": "text/event-stream" },
      });
    }
    const problem = chatHistoryProblem(body.messages as Obj[]);
    if (problem) problems.push(problem);
    const sse = "call" in next
      ? chatChunk({
        role: "assistant",
        tool_calls: [{
          index: 0,
          id: `call_${bodies.length}`,
          type: "function",
          function: { name: next.call.name, arguments: JSON.stringify(next.call.args) },
        }],
      }) + chatChunk({}, "tool_calls")
      : chatChunk({ role: "assistant", content: next.text }) + chatChunk({}, "stop");
    return new Response(`${sse}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const root = `http://127.0.0.1:${server.addr.port}`;
  return { root, bodies, problems, close: () => server.shutdown() };
}

/** Four hooks as shell scripts in the project's `.claude/settings.json`. */
async function writeHooks(ws: ClaudeWorkspace): Promise<void> {
  const scripts: Record<string, string> = {
    prompt: `cat >/dev/null
echo '{"hookSpecificOutput":{"hookEventName":"UserPromptSubmit","additionalContext":"PROMPT-HOOK-NOTE"}}'`,
    pre: `case "$(cat)" in *'echo a'*)
echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"PRE-HOOK-DENIED"}}';; esac`,
    post: `cat >/dev/null
echo '{"hookSpecificOutput":{"hookEventName":"PostToolUse","additionalContext":"POST-HOOK-NOTE"}}'`,
    stop: `cat >/dev/null
[ -f "${ws.work}/stopped" ] && exit 0
touch "${ws.work}/stopped"
echo '{"decision":"block","reason":"STOP-HOOK-MORE"}'`,
  };
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${ws.work}/${name}.sh`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  const hook = (name: string, matcher?: string) => [{
    ...(matcher ? { matcher } : {}),
    hooks: [{ type: "command", command: `${ws.work}/${name}.sh` }],
  }];
  await Deno.mkdir(`${ws.work}/.claude`);
  await Deno.writeTextFile(
    `${ws.work}/.claude/settings.json`,
    JSON.stringify({
      hooks: {
        UserPromptSubmit: hook("prompt"),
        PreToolUse: hook("pre", "Bash"),
        PostToolUse: hook("post", "Bash"),
        Stop: hook("stop"),
      },
    }),
  );
}

/** What the model is given, in order: Gemini's system instruction and contents, or Chat's messages. */
function sent(wire: "chat" | "gemini", body: Obj): string {
  const seen = wire === "gemini"
    ? [body.systemInstruction, ...body.contents as Obj[]]
    : body.messages;
  return JSON.stringify(seen);
}

for (const wire of ["chat", "gemini"] as const) {
  Deno.test({
    name: `real Claude Code with hooks through ccp (${wire}): each request begins with the last`,
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const up = startUpstream(wire);
      await using stage = await claudeStage(
        "ccp-hooks-",
        testConfig({
          providers: [
            wire === "gemini"
              ? provider("up", {
                type: "gemini",
                baseUrl: `${up.root}/v1beta`,
                apiKeys: ["gemini-key"],
                authHeader: "x-goog-api-key",
                maxRetries: 0,
              })
              : provider("up", { type: "openai", baseUrl: `${up.root}/v1`, maxRetries: 0 }),
          ],
          routes: { default: wire === "gemini" ? "up/gemini-3.8-flash" : "up/chat-model" },
          authToken: "e2e-token",
        }),
        { mocks: [up] },
      );
      const { ws, ccp } = stage;
      await writeHooks(ws);
      const out = await runClaude(
        [
          "-p",
          "Echo a, then b.",
          ...STREAM_JSON,
          "--append-system-prompt",
          "APPENDED-PROMPT",
          "--permission-mode",
          "acceptEdits",
          "--allowedTools",
          "Bash",
        ],
        ws.work,
        claudeEnv(ws.home, ccp.url),
        60_000,
      );
      const stdout = new TextDecoder().decode(out.stdout);
      const context = `\n${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`;
      const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const result = events.find((e) => e.type === "result");
      assert.equal(result?.is_error, false, context);
      // Refused call, run call, answer, then the Stop hook's second answer.
      assert.equal(result.result, "Answer 4.", context);
      assert.deepEqual(up.problems, [], context);
      assert.equal(up.bodies.length, 4, context);

      const texts = up.bodies.map((body) => sent(wire, body));
      for (const [i, text] of texts.entries()) {
        if (i === 0) continue;
        const before = texts[i - 1]!.slice(0, -1); // the closing bracket
        assert.ok(
          text.startsWith(before),
          `request ${i + 1} does not begin with request ${i}:
${before.slice(-600)}\n---\n${text.slice(before.length - 600, before.length + 300)}`,
        );
      }
      const last = texts.at(-1)!;
      for (
        const word of [
          "APPENDED-PROMPT",
          "PROMPT-HOOK-NOTE",
          "PRE-HOOK-DENIED",
          "POST-HOOK-NOTE",
          "STOP-HOOK-MORE",
        ]
      ) assert.ok(last.includes(word), `${word} never reached the model`);
    },
  });
}
