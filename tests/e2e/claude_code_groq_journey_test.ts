/**
 * Real Claude Code through ccp on the `groq` preset, in front of a mock as strict as Groq says its
 * API is (tests/mocks/hosted_chat_strict.ts): gpt-oss-120b reads a screenshot with Read, runs
 * Bash, and answers, in one `claude -p` run, then a `--continue` run answers again over that
 * history. gpt-oss on Groq reads text only and refuses a request with an image part in it
 * ("messages[1].content must be a string"); the picture stays in Claude Code's history, so
 * without a note in its place every later turn of the session was refused too. The reasoning
 * Groq streams in `reasoning` reaches the user as thinking; the usage it gives only in
 * `x_groq.usage` reaches Claude Code. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, PNG_1X1, printStreamJson } from "../helpers/claude_print.ts";
import {
  type ChatTurn,
  GROQ_RULES,
  startStrictChat,
  strictChatStage,
} from "../mocks/hosted_chat_strict.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** The model's turns: Read the screenshot, then Bash, then the answer; later prompts: answer. */
function gptOss(work: string) {
  return (messages: Obj[]): ChatTurn => {
    const prompt = messages.findLastIndex((m) =>
      m.role === "user" && JSON.stringify(m.content).includes("PROMPT:")
    );
    const done = messages.slice(prompt + 1).filter((m) => m.role === "tool").length;
    if (JSON.stringify(messages[prompt]).includes("PROMPT: again")) {
      return { reasoning: "Already seen.", text: "still one pixel" };
    }
    if (done === 0) {
      return {
        reasoning: "Look at the screenshot first.",
        calls: [{ name: "Read", input: { file_path: `${work}/shot.png` } }],
      };
    }
    if (done === 1) {
      const command = "echo groq > done.txt";
      return { reasoning: "Now note it.", calls: [{ name: "Bash", input: { command } }] };
    }
    return { text: "groq done" };
  };
}

Deno.test({
  name: "real Claude Code on the groq preset (gpt-oss-120b, strict mock): Read of a screenshot, " +
    "Bash, answer and a --continue run, none refused; reasoning and x_groq usage come through",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-groq-journey-");
    const groq = startStrictChat(GROQ_RULES, gptOss(ws.work));
    await using stage = await strictChatStage(ws, groq, {
      preset: "groq",
      model: "openai/gpt-oss-120b",
      apiKey: "gsk_test",
    });
    const { ccp } = stage;
    await Deno.writeFile(
      `${ws.work}/shot.png`,
      Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
    );
    const tools = ["Bash", "Read"];
    const first = await printStreamJson(ws, ccp.url, ["-p", "PROMPT: what does shot.png show?"], {
      ms: 20_000,
      tools,
    });
    const seen = () => `${first.output}\n${groq.refusals.join("\n")}\n${ccp.logs.join("")}`;
    assert.deepEqual(groq.refusals, [], seen());
    assert.equal(first.result.is_error, false, seen());
    assert.equal(first.result.result, "groq done", seen());
    assert.equal(await Deno.readTextFile(`${ws.work}/done.txt`), "groq\n");
    assert.equal(groq.bodies.length, 3, seen());

    // The picture went up as a note naming why; nothing Groq refuses went up at all.
    const sent = JSON.stringify(groq.bodies[1]);
    assert.ok(!sent.includes("image_url"), "an image part reached a text-only Groq model");
    assert.match(sent, /image omitted: provider \\"groq\\" \(model openai\/gpt-oss-120b\)/);
    // gpt-oss's reasoning was shown as thinking.
    const thinking = first.events.flatMap((e) =>
      e.type === "assistant"
        ? ((e.message as Obj).content as Obj[]).filter((b) => b.type === "thinking")
        : []
    );
    assert.ok(thinking.some((b) => b.thinking === "Look at the screenshot first."), seen());
    // Groq's usage (only in x_groq) is what Claude Code counted.
    const usage = first.result.usage as Obj;
    assert.equal(usage.input_tokens, 3 * 2100, seen());

    // The history with the screenshot in it still goes through.
    const again = await printStreamJson(ws, ccp.url, ["-p", "--continue", "PROMPT: again?"], {
      ms: 20_000,
      tools,
    });
    assert.deepEqual(groq.refusals, [], `${again.output}\n${groq.refusals.join("\n")}`);
    assert.equal(again.result.result, "still one pixel", again.output);
    assert.equal(groq.bodies.length, 4);
  },
});
