/**
 * Real Claude Code through ccp on the `cerebras` preset, in front of a mock as strict as Cerebras
 * says its API is (tests/mocks/hosted_chat_strict.ts: `parallel_tool_calls`, `frequency_penalty`,
 * `presence_penalty`, `logit_bias` and `service_tier` are a 400, images are refused). GLM on
 * Cerebras thinks, streaming its reasoning in `reasoning`; it runs two Bash calls in one turn,
 * then writes a file with Write, then answers; a `--continue` run answers again. Skipped when
 * `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
import {
  CEREBRAS_RULES,
  type ChatTurn,
  startStrictChat,
  strictChatStage,
} from "../mocks/hosted_chat_strict.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** The model's turns: two Bash calls at once, then Write, then the answer. */
function glm(work: string) {
  return (messages: Obj[]): ChatTurn => {
    const prompt = messages.findLastIndex((m) =>
      m.role === "user" && JSON.stringify(m.content).includes("PROMPT:")
    );
    if (JSON.stringify(messages[prompt]).includes("PROMPT: again")) return { text: "again done" };
    const done = messages.slice(prompt + 1).filter((m) => m.role === "tool").length;
    if (done === 0) {
      return {
        reasoning: "List, then count.",
        calls: ["echo a > a.txt", "echo b > b.txt"].map((command) => ({
          name: "Bash",
          input: { command },
        })),
      };
    }
    if (done === 2) {
      const input = { file_path: `${work}/notes.md`, content: "two files\n" };
      return { reasoning: "Note it.", calls: [{ name: "Write", input }] };
    }
    return { text: "cerebras done" };
  };
}

Deno.test({
  name: "real Claude Code on the cerebras preset (zai-glm-4.7, strict mock): parallel Bash, " +
    "Write, answer and a --continue run, none refused",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-cerebras-journey-");
    const cerebras = startStrictChat(CEREBRAS_RULES, glm(ws.work));
    await using stage = await strictChatStage(ws, cerebras, {
      preset: "cerebras",
      model: "zai-glm-4.7",
      apiKey: "csk-test",
    });
    const { ccp } = stage;
    const tools = ["Bash", "Write"];
    const first = await printStreamJson(ws, ccp.url, ["-p", "PROMPT: make two files"], {
      ms: 20_000,
      tools,
    });
    const seen = () => `${first.output}\n${cerebras.refusals.join("\n")}\n${ccp.logs.join("")}`;
    assert.deepEqual(cerebras.refusals, [], seen());
    assert.equal(first.result.is_error, false, seen());
    assert.equal(first.result.result, "cerebras done", seen());
    assert.equal(await Deno.readTextFile(`${ws.work}/notes.md`), "two files\n");
    assert.equal(await Deno.readTextFile(`${ws.work}/b.txt`), "b\n");
    assert.equal(cerebras.bodies.length, 3, seen());
    // Both calls of the first turn went back as one assistant turn, each answered.
    const second = cerebras.bodies[1]!.messages as Obj[];
    const turn = second.find((m) => m.role === "assistant" && m.tool_calls) as Obj;
    assert.equal((turn.tool_calls as Obj[]).length, 2);
    const thinking = first.events.flatMap((e) =>
      e.type === "assistant"
        ? ((e.message as Obj).content as Obj[]).filter((b) => b.type === "thinking")
        : []
    );
    assert.ok(thinking.some((b) => b.thinking === "List, then count."), seen());

    const again = await printStreamJson(ws, ccp.url, ["-p", "--continue", "PROMPT: again?"], {
      ms: 20_000,
      tools,
    });
    assert.deepEqual(cerebras.refusals, [], `${again.output}\n${cerebras.refusals.join("\n")}`);
    assert.equal(again.result.result, "again done", again.output);
  },
});
