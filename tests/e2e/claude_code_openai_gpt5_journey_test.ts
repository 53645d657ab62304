/**
 * Real Claude Code through ccp on the `openai` preset with gpt-5.1, in front of a mock as strict
 * as OpenAI's Chat Completions API is with its reasoning models (tests/mocks/hosted_chat_strict.ts:
 * `max_tokens` refused for `max_completion_tokens`, sampling parameters refused while it reasons,
 * `reasoning_effort` none|low|medium|high, at most 128 tools with plain names, usage only when
 * asked for). The model writes a file, edits it and answers; a `--continue` run answers again.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
import {
  type ChatTurn,
  OPENAI_RULES,
  startStrictChat,
  strictChatStage,
} from "../mocks/hosted_chat_strict.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** The model's turns: Write, then Edit, then the answer. */
function gpt5(work: string) {
  const file_path = `${work}/conf.txt`;
  return (messages: Obj[]): ChatTurn => {
    const prompt = messages.findLastIndex((m) =>
      m.role === "user" && JSON.stringify(m.content).includes("PROMPT:")
    );
    if (JSON.stringify(messages[prompt]).includes("PROMPT: again")) return { text: "again done" };
    const done = messages.slice(prompt + 1).filter((m) => m.role === "tool").length;
    if (done === 0) {
      return { calls: [{ name: "Write", input: { file_path, content: "a = 1\n" } }] };
    }
    if (done === 1) {
      const input = { file_path, old_string: "a = 1", new_string: "a = 2" };
      return { calls: [{ name: "Edit", input }] };
    }
    return { text: "openai done" };
  };
}

Deno.test({
  name: "real Claude Code on the openai preset (gpt-5.1, strict mock): Write, Edit, answer and " +
    "a --continue run, none refused; usage counted",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-openai-journey-");
    const openai = startStrictChat(OPENAI_RULES, gpt5(ws.work));
    await using stage = await strictChatStage(ws, openai, {
      preset: "openai",
      model: "gpt-5.1",
      apiKey: "sk-test",
    });
    const { ccp } = stage;
    const tools = ["Write", "Edit"];
    const first = await printStreamJson(ws, ccp.url, ["-p", "PROMPT: set a to 2"], {
      ms: 20_000,
      tools,
    });
    const seen = () => `${first.output}\n${openai.refusals.join("\n")}\n${ccp.logs.join("")}`;
    assert.deepEqual(openai.refusals, [], seen());
    assert.equal(first.result.is_error, false, seen());
    assert.equal(first.result.result, "openai done", seen());
    assert.equal(await Deno.readTextFile(`${ws.work}/conf.txt`), "a = 2\n");
    assert.equal(openai.bodies.length, 3, seen());
    for (const body of openai.bodies) {
      assert.equal(body.max_completion_tokens, 128000);
      assert.equal(body.reasoning_effort, "medium");
    }
    assert.equal((first.result.usage as Obj).input_tokens, 3 * 2100, seen());

    const again = await printStreamJson(ws, ccp.url, ["-p", "--continue", "PROMPT: again?"], {
      ms: 20_000,
      tools,
    });
    assert.deepEqual(openai.refusals, [], `${again.output}\n${openai.refusals.join("\n")}`);
    assert.equal(again.result.result, "again done", again.output);
  },
});
