/**
 * A Claude Code agent session through ccp on a thinking Chat Completions model (reasoning in
 * `reasoning_content`, which DeepSeek and Kimi want back on tool-call turns): one turn calls
 * Bash and Read of a PNG in parallel, the next answers, and `claude -p --continue` goes on. Once
 * on a model with vision (the picture reaches it as an image) and once without (it gets a note in
 * its place). Then a subagent (the Agent tool) on the same model. Claude Code runs in its default
 * `-p` output, where it asks for `thinking.display: "omitted"`; ccp sends each thinking block
 * empty, as Anthropic does, with the reasoning in its signature, and it comes back. Skipped when
 * `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, PNG_1X1, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const PLAN = "Plan: say alpha and look at the picture.";

const chunk = (delta: Obj, finish: string | null = null) => chatChunk(delta, finish, "chatcmpl-j");

function call(index: number, id: string, name: string, args: Obj): string {
  const text = JSON.stringify(args);
  return chunk({
    tool_calls: [{ index, id, type: "function", function: { name, arguments: text } }],
  });
}

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : JSON.stringify(content ?? "");

/**
 * The model: a prompt mentioning the picture gets reasoning and two parallel calls (Bash, Read of
 * `png`), a turn after tool results reasoning and an answer, "again" just an answer.
 */
function startThinkingModel(png: string) {
  return startChatModel((messages) => pictureTurn(messages, png));
}

/** What the picture session's model answers to `messages`, as Chat chunks. */
function pictureTurn(messages: Obj[], png: string): string[] {
  const lastUser = textOf(messages.findLast((m) => m.role === "user")?.content);
  const parts: string[] = [];
  if (lastUser.includes("again")) {
    parts.push(chunk({ content: "Again done." }), chunk({}, "stop"));
  } else if (messages.some((m) => m.role === "tool")) {
    parts.push(
      chunk({ reasoning_content: "Both came back." }),
      chunk({ content: "Saw alpha and the picture." }),
      chunk({}, "stop"),
    );
  } else {
    parts.push(
      chunk({ reasoning_content: PLAN.slice(0, 6) }),
      chunk({ reasoning_content: PLAN.slice(6) }),
      call(0, "call_bash_1", "Bash", { command: "echo alpha", description: "Say alpha" }),
      call(1, "call_read_2", "Read", { file_path: png }),
      chunk({}, "tool_calls"),
    );
  }
  return parts;
}

/** A streaming Chat Completions upstream whose answers `turn` writes; it keeps every body. */
function startChatModel(turn: (messages: Obj[]) => string[]) {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const messages = body.messages as Obj[];
    const parts = [chunk({ role: "assistant", content: "" }), ...turn(messages)];
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

const turnWithCalls = (body: Obj) =>
  (body.messages as Obj[]).find((m) => (m.tool_calls as Obj[] | undefined)?.length);

for (const vision of [true, false]) {
  Deno.test({
    name: `real Claude Code on a thinking Chat model ${
      vision ? "with" : "without"
    } vision: parallel Bash and Read of a PNG, reasoning back on the tool turn, then --continue`,
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await using ws = await claudeWorkspace("ccp-journey-");
      const png = `${ws.work}/dot.png`;
      await Deno.writeFile(png, Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)));
      const model = startThinkingModel(png);
      await using stage = await claudeStage(
        ws,
        testConfig({
          providers: [
            provider("up", {
              type: "openai",
              baseUrl: model.url,
              authHeader: "bearer",
              maxRetries: 0,
              // Kimi takes images; DeepSeek is text-only. Both want reasoning back on tool turns.
              dialect: vision ? OPENAI_DIALECTS.kimi! : OPENAI_DIALECTS.deepseek!,
            }),
          ],
          routes: { default: "up/thinker" },
          authToken: "e2e-token",
        }),
        { mocks: [model], guarded: true },
      );
      const { ccp } = stage;
      const first = await printJson(
        ws,
        ccp.url,
        ["-p", `Look at the picture ${png}`],
        ONE_MINUTE,
      );
      assert.equal(first.is_error, false, JSON.stringify(first) + ccp.logs.join(""));
      assert.equal(first.result, "Saw alpha and the picture.");
      const again = await printJson(ws, ccp.url, ["-p", "--continue", "again"], ONE_MINUTE);
      assert.equal(again.is_error, false, JSON.stringify(again));
      assert.equal(again.result, "Again done.");
      assert.equal(model.bodies.length, 3, "one request per turn");

      for (const body of model.bodies) {
        const messages = body.messages as Obj[];
        assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages));
      }
      for (const body of model.bodies.slice(1)) {
        // The parallel calls went back as one assistant turn with the reasoning it came with,
        // in the request right after and after --continue.
        const turn = turnWithCalls(body)!;
        assert.deepEqual(
          (turn.tool_calls as Obj[]).map((c) => (c.function as Obj).name),
          ["Bash", "Read"],
        );
        assert.equal(turn.reasoning_content, PLAN, JSON.stringify(turn));
        const history = JSON.stringify(body.messages);
        assert.match(history, /alpha/);
        if (vision) {
          assert.match(history, /data:image\/png;base64,/, "the picture reached the model");
        } else {
          assert.ok(!history.includes("image_url"), "no image to a text-only model");
          assert.match(history, /\[image omitted: [^\]]*does not accept images\]/);
        }
      }
    },
  });
}

const SUBTASK = "SUBTASK: say beta";

/**
 * The subagent session's model: the main agent thinks and hands {@link SUBTASK} to a
 * general-purpose subagent (the Agent tool), which thinks and runs Bash, then answers. Claude Code
 * 2.1.332 runs the subagent in the background: the Agent call's result says it started, and its
 * report comes later as a user message with a task notification, which the main agent answers.
 */
function subagentTurn(messages: Obj[]): string[] {
  const answered = (id: string) => messages.some((m) => m.role === "tool" && m.tool_call_id === id);
  const think = chunk({ reasoning_content: "Thinking it over." });
  const last = textOf(messages.at(-1)?.content);
  if (last.includes("<task-notification>")) {
    return [chunk({ content: "Main done." }), chunk({}, "stop")];
  }
  if (answered("call_agent_1")) return [chunk({ content: "Waiting." }), chunk({}, "stop")];
  if (messages.some((m) => m.role === "user" && textOf(m.content).includes(SUBTASK))) {
    if (answered("call_sub_bash")) {
      return [chunk({ content: "Subagent: beta said." }), chunk({}, "stop")];
    }
    const args = { command: "echo beta", description: "Say beta" };
    return [think, call(0, "call_sub_bash", "Bash", args), chunk({}, "tool_calls")];
  }
  const args = { description: "Say beta", prompt: SUBTASK, subagent_type: "general-purpose" };
  return [think, call(0, "call_agent_1", "Agent", args), chunk({}, "tool_calls")];
}

Deno.test({
  name: "real Claude Code on a thinking Chat model: a general-purpose subagent (Agent tool) " +
    "runs Bash and reports; every request is a valid Chat history with reasoning back",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const model = startChatModel(subagentTurn);
    await using stage = await claudeStage(
      "ccp-journey-agent-",
      testConfig({
        providers: [
          provider("up", {
            type: "openai",
            baseUrl: model.url,
            authHeader: "bearer",
            maxRetries: 0,
            dialect: OPENAI_DIALECTS.deepseek!,
          }),
        ],
        routes: { default: "up/thinker" },
        authToken: "e2e-token",
      }),
      { mocks: [model], guarded: true },
    );
    const { ws, ccp } = stage;
    const tools = ["Bash", "Agent", "Read"];
    const result = await printJson(ws, ccp.url, ["-p", "Delegate: say beta"], {
      ...ONE_MINUTE,
      tools,
    });
    assert.equal(result.is_error, false, JSON.stringify(result) + ccp.logs.join(""));
    assert.equal(result.result, "Main done.");
    // Main (Agent call), main (after the start), subagent twice (in either order with it), main.
    assert.equal(model.bodies.length, 5);
    for (const body of model.bodies) {
      const messages = body.messages as Obj[];
      assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages));
      // Each tool-call turn carries its reasoning back (DeepSeek refuses it missing).
      for (const turn of messages.filter((m) => m.tool_calls)) {
        assert.equal(turn.reasoning_content, "Thinking it over.", JSON.stringify(turn));
      }
    }
    const isSub = (b: Obj) => JSON.stringify(b.messages).includes(SUBTASK);
    const subs = model.bodies.filter((b) => isSub(b) && !JSON.stringify(b).includes("call_agent"));
    assert.equal(subs.length, 2, "the subagent has a history of its own");
    assert.match(JSON.stringify(subs[1]!.messages), /"content":"beta"/);
    const last = JSON.stringify(model.bodies[4]!.messages);
    assert.match(last, /Subagent: beta said\./, "the subagent's report reached the main agent");
  },
});
