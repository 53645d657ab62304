import assert from "node:assert/strict";
import type { ChatMessage } from "../../../src/protocols/openai_chat.ts";
import { replayInToolSpans } from "../../../src/translate/openai_chat/reasoning_spans.ts";

const call = { id: "c1", type: "function" as const, function: { name: "Bash", arguments: "{}" } };

Deno.test("replayInToolSpans: reasoning by span between user messages", async (t) => {
  await t.step(
    "a tool span: every assistant turn keeps its reasoning or gets the placeholder",
    () => {
      const messages: ChatMessage[] = [
        { role: "user", content: "go" },
        { role: "assistant", content: null, tool_calls: [call], reasoning_content: "plan" },
        { role: "tool", tool_call_id: "c1", content: "ok" },
        { role: "assistant", content: "Done." },
        { role: "user", content: "next" },
      ];
      const out = replayInToolSpans(messages, "reasoning_content");
      assert.deepEqual(out.filter((m) => m.role === "assistant").map((m) => m.reasoning_content), [
        "plan",
        " ",
      ]);
      assert.equal(messages[3]!.role === "assistant" && messages[3]!.reasoning_content, undefined);
    },
  );
  await t.step("a span without a tool call: reasoning off, a reasoning-only turn left out", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "hi" },
      { role: "assistant", content: "", reasoning_content: "cut off while thinking" },
      { role: "user", content: "hi again" },
      { role: "assistant", content: "Hello.", reasoning_content: "greet" },
      { role: "user", content: "bye" },
    ];
    assert.deepEqual(replayInToolSpans(messages, "reasoning_content"), [
      { role: "user", content: "hi" },
      { role: "user", content: "hi again" },
      { role: "assistant", content: "Hello." },
      { role: "user", content: "bye" },
    ]);
  });
  await t.step("a user message after tool results starts a new span", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "go" },
      { role: "assistant", content: null, tool_calls: [call], reasoning_content: "plan" },
      { role: "tool", tool_call_id: "c1", content: "ok" },
      { role: "user", content: "<system-reminder>…</system-reminder>" },
      { role: "assistant", content: "Done.", reasoning_content: "wrap up" },
    ];
    const out = replayInToolSpans(messages, "reasoning_content");
    assert.equal(out[4]!.role === "assistant" && out[4]!.reasoning_content, undefined);
    assert.equal(out[1]!.role === "assistant" && out[1]!.reasoning_content, "plan");
  });
  await t.step("nothing to change: the same array", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
    assert.equal(replayInToolSpans(messages, "reasoning_content"), messages);
  });
});
