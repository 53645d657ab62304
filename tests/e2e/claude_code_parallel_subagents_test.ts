/**
 * Two subagents on the haiku tier, started in parallel by a main loop on another provider: the
 * main agent (a thinking Chat Completions model, DeepSeek's dialect) hands two tasks to the Agent
 * tool with `model: "haiku"`, and ccp's haiku route sends both subagents to Gemini (behind the
 * strict request check of tests/mocks/gemini_strict.ts). Both subagents' first requests are in
 * flight at once, each runs Bash with a thought signature that comes back on its own call, and
 * their reports reach the main agent, whose every request stays a valid Chat history with its
 * reasoning back. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : JSON.stringify(content ?? "");

const chunk = (delta: Obj, finish: string | null = null) => chatChunk(delta, finish, "chatcmpl-p");

const TASKS = { a: "SUBTASK-A: echo a", b: "SUBTASK-B: echo b" } as const;
const SIG = { a: "U1VCLUEtc2lnbmF0dXJl", b: "U1VCLUItc2lnbmF0dXJl" } as const;
const REASONING = "Two independent looks.";

/** The main agent: two haiku subagents at once, then waits, then sums up their reports. */
function mainTurn(messages: Obj[]): string[] {
  const history = JSON.stringify(messages);
  const last = messages.at(-1)!;
  if (textOf(last.content).includes("<task-notification>")) {
    const both = history.includes("Sub a found it.") && history.includes("Sub b found it.");
    return [chunk({ content: both ? "Main got a and b." : "Main got one." }), chunk({}, "stop")];
  }
  if (last.role === "tool") return [chunk({ content: "Waiting." }), chunk({}, "stop")];
  const agent = (index: number, id: string, prompt: string) => {
    const args = { description: `Look ${id}`, prompt, subagent_type: "general-purpose" };
    const text = JSON.stringify({ ...args, model: "haiku" });
    return chunk({
      tool_calls: [{ index, id, type: "function", function: { name: "Agent", arguments: text } }],
    });
  };
  return [
    chunk({ reasoning_content: REASONING }),
    agent(0, "call_agent_a", TASKS.a),
    agent(1, "call_agent_b", TASKS.b),
    chunk({}, "tool_calls"),
  ];
}

/** The main agent's Chat Completions upstream; it keeps every body. */
function startMain() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const parts = [chunk({ role: "assistant", content: "" }), ...mainTurn(body.messages)];
    const usage = { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 };
    return chatStreamAnswer(parts, usage);
  });
  return { url: `http://127.0.0.1:${server.addr.port}/v1`, bodies, close: () => server.shutdown() };
}

const KEY = "e2e-parallel-gemini-key";

/**
 * The subagents' Gemini upstream. Each subagent's first request waits (up to 10 s) until the
 * other's has arrived too, so both are in flight at once; `overlapped` says whether they were.
 */
function startGemini() {
  const bodies: Obj[] = [];
  const firsts = new Set<string>();
  let release = () => {};
  const both = new Promise<void>((resolve) => (release = resolve));
  const state = { overlapped: false };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const action = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/.exec(
      new URL(req.url).pathname,
    );
    if (!action || req.headers.get("x-goog-api-key") !== KEY) {
      return Response.json({ error: { code: 404, message: "Not found" } }, { status: 404 });
    }
    const body = await req.json() as Obj;
    bodies.push(body);
    const problem = geminiRequestProblem(body, decodeURIComponent(action[1]!));
    if (problem) return invalidArgument(problem);
    const contents = body.contents as Obj[];
    const which = JSON.stringify(contents).includes(TASKS.a) ? "a" : "b";
    const answered = contents.some((c) =>
      ((c.parts ?? []) as Obj[]).some((p) => p.functionResponse)
    );
    let parts: Obj[][];
    if (answered) {
      parts = [[{ text: "Bash said it.", thought: true }], [{ text: `Sub ${which} found it.` }], [{
        text: "",
        thoughtSignature: `${SIG[which]}AA==`,
      }]];
    } else {
      firsts.add(which);
      if (firsts.size === 2) {
        state.overlapped = true;
        release();
      }
      await Promise.race([both, new Promise((r) => setTimeout(r, 10_000))]);
      const args = { command: `echo ${which}`, description: `Say ${which}` };
      parts = [[{ text: `Run echo ${which}.`, thought: true }], [{
        functionCall: { name: "Bash", args },
        thoughtSignature: SIG[which],
      }]];
    }
    const frames = parts.map((p, i) => ({
      candidates: [{
        content: { role: "model", parts: p },
        index: 0,
        ...(i === parts.length - 1 ? { finishReason: "STOP" } : {}),
      }],
      usageMetadata: { promptTokenCount: 700, candidatesTokenCount: 9, totalTokenCount: 709 },
      modelVersion: "gemini-3.8-flash",
    }));
    const sse = frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join("");
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    state,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code: two haiku-tier subagents in parallel on Gemini while the main loop " +
    "runs on a Chat model; every request is one its upstream accepts",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const main = startMain();
    const gemini = startGemini();
    await using stage = await claudeStage(
      "ccp-parallel-agents-",
      testConfig({
        providers: [
          provider("deepseek", {
            type: "openai",
            baseUrl: main.url,
            authHeader: "bearer",
            maxRetries: 0,
            dialect: OPENAI_DIALECTS.deepseek!,
          }),
          provider("gem", {
            type: "gemini",
            baseUrl: `${gemini.url}/v1beta`,
            apiKeys: [KEY],
            authHeader: "x-goog-api-key",
            maxRetries: 0,
          }),
        ],
        routes: { default: "deepseek/reasoner", haiku: "gem/gemini-3.8-flash" },
        authToken: "e2e-token",
      }),
      { mocks: [main, gemini], guarded: true },
    );
    const { ws, ccp } = stage;
    const result = await printJson(ws, ccp.url, ["-p", "Look at a and b at once"], {
      ms: 60_000,
      tools: ["Bash", "Agent", "Read"],
    });
    assert.equal(result.is_error, false, JSON.stringify(result) + ccp.logs.join(""));
    assert.equal(result.result, "Main got a and b.");
    assert.ok(gemini.state.overlapped, "both subagents were in flight at once");

    // Each subagent asked twice; its second request carries its own call and signature back.
    assert.equal(gemini.bodies.length, 4, ccp.logs.join(""));
    for (const which of ["a", "b"] as const) {
      const mine = gemini.bodies.filter((b) => JSON.stringify(b.contents).includes(TASKS[which]));
      assert.equal(mine.length, 2);
      const calls = (mine[1]!.contents as Obj[]).flatMap((c) =>
        ((c.parts ?? []) as Obj[]).filter((p) => p.functionCall)
      );
      assert.deepEqual(calls, [{
        functionCall: {
          name: "Bash",
          args: { command: `echo ${which}`, description: `Say ${which}` },
        },
        thoughtSignature: SIG[which],
      }]);
      const other = which === "a" ? "b" : "a";
      assert.ok(!JSON.stringify(mine).includes(TASKS[other]), "the subagents share nothing");
    }

    // The main loop stayed on the Chat model, with valid histories and its reasoning back.
    assert.ok(main.bodies.length >= 3, String(main.bodies.length));
    for (const body of main.bodies) {
      const messages = body.messages as Obj[];
      assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages));
      const firstUser = textOf(messages.find((m) => m.role === "user")?.content);
      assert.match(firstUser, /Look at a and b at once/, "no subagent request on Chat");
      for (const turn of messages.filter((m) => m.tool_calls)) {
        assert.equal(turn.reasoning_content, REASONING, JSON.stringify(turn));
      }
    }
    const haiku = ccp.logs.filter((l) => /claude-haiku-\S+ → gem\/gemini-3\.8-flash 200/.test(l));
    assert.equal(haiku.length, 4, ccp.logs.join(""));
  },
});
