/**
 * Claude Code's later `role: "system"` messages (a hook's added context, "The user hasn't heard
 * from you in a while") arrive after tool results, and each stays in the history from then on.
 * Two consecutive requests of one session, shaped as Claude Code 2.1.332 sent them through ccp:
 * what an upstream gets for the first must be where the second begins, or its prefix cache
 * misses for the whole conversation; and the message itself still reaches the model.
 */

import assert from "node:assert/strict";
import type { MessageParam, MessagesRequest } from "../../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { foldSystemMessages } from "../../src/upstream/cleaning/system_messages.ts";

const ENV = "# Environment\nYou have been invoked in the following environment: …";
const HOOK = "PostToolUse:Bash hook additional context: HOOK-POST-CONTEXT";
const NUDGE = "The user hasn't heard from you in a while.";

const ephemeral = { type: "ephemeral" } as const;

/** The history of the first request: prompt, environment, a Bash call, its result, the hook. */
function firstHistory(): MessageParam[] {
  return [
    {
      role: "user",
      content: [{ type: "text", text: "<system-reminder>\nAttribution…</system-reminder>\n" }, {
        type: "text",
        text: "Do the thing.",
      }],
    },
    { role: "system", content: ENV },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "call_1", name: "Bash", input: { command: "echo b" } }],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "call_1", content: "b", is_error: false }],
    },
    { role: "system", content: [{ type: "text", text: HOOK, cache_control: ephemeral }] },
  ];
}

/** The next request: the same history (the hook's message now a string), an answer, more. */
function secondHistory(): MessageParam[] {
  const first = firstHistory();
  return [
    ...first.slice(0, -1),
    { role: "system", content: HOOK },
    { role: "assistant", content: [{ type: "text", text: "Done." }] },
    { role: "user", content: "And now?" },
    { role: "system", content: [{ type: "text", text: NUDGE, cache_control: ephemeral }] },
  ];
}

function request(messages: MessageParam[]): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    max_tokens: 32000,
    stream: true,
    system: [{ type: "text", text: "You are a Claude agent.", cache_control: ephemeral }],
    messages,
    tools: [{ name: "Bash", description: "Run", input_schema: { type: "object" } }],
  };
}

/** `before` is where `after` begins. */
function assertPrefix(before: unknown[], after: unknown[], what: string): void {
  assert.ok(after.length > before.length, `${what}: the later request is longer`);
  assert.deepEqual(
    after.slice(0, before.length),
    before,
    `${what}: the earlier request is a prefix`,
  );
}

Deno.test("a later system message of Claude Code's keeps the earlier requests a prefix", async (t) => {
  await t.step(
    "Chat Completions (DeepSeek): the system prompt stays, the message goes in place",
    () => {
      const target = { dialect: OPENAI_DIALECTS.deepseek!, model: "deepseek-chat", provider: "ds" };
      const one = toOpenAIChatRequest(request(firstHistory()), target).messages;
      const two = toOpenAIChatRequest(request(secondHistory()), target).messages;
      assert.deepEqual(one[0], two[0], "the same system message");
      assert.ok(String(one[0]!.content).includes(ENV), "the environment joins the system prompt");
      assertPrefix(one, two, "Chat messages");
      const after = JSON.stringify(two.slice(1));
      assert.ok(after.includes(HOOK) && after.includes(NUDGE), after);
      assert.equal(two.filter((m) => m.role === "system").length, 1);
    },
  );

  await t.step("Chat Completions (OpenAI): system messages stay system messages in place", () => {
    const target = { dialect: OPENAI_DIALECTS.openai!, model: "gpt-5", provider: "oai" };
    const two = toOpenAIChatRequest(request(secondHistory()), target).messages;
    assert.deepEqual(
      two.filter((m) => m.role === "system").map((m) => String(m.content)).slice(1),
      [ENV, HOOK, NUDGE],
    );
  });

  await t.step("Gemini: systemInstruction stays, the message goes in place", () => {
    const target = { provider: "g", model: "gemini-3.8-flash" };
    const one = toGeminiRequest(request(firstHistory()), target);
    const two = toGeminiRequest(request(secondHistory()), target);
    assert.deepEqual(one.systemInstruction, two.systemInstruction);
    assert.ok(JSON.stringify(one.systemInstruction).includes("# Environment"));
    assertPrefix(one.contents, two.contents, "Gemini contents");
    const contents = JSON.stringify(two.contents);
    assert.ok(contents.includes("HOOK-POST-CONTEXT") && contents.includes("heard from you"));
  });

  await t.step(
    "Anthropic-compatible endpoints without system messages: folded the same way",
    () => {
      const one = foldSystemMessages({ ...request(firstHistory()) });
      const two = foldSystemMessages({ ...request(secondHistory()) });
      assert.deepEqual(one.system, two.system);
      assert.ok(JSON.stringify(one.system).includes("# Environment"));
      // Where a cache breakpoint sits is no part of what the cache matches.
      const messages = (body: Record<string, unknown>) =>
        JSON.parse(JSON.stringify(body.messages, (k, v) => k === "cache_control" ? undefined : v));
      assert.ok(messages(two).every((m: MessageParam) => m.role !== "system"));
      assertPrefix(messages(one), messages(two), "messages");
      const rest = JSON.stringify(messages(two));
      assert.ok(rest.includes("HOOK-POST-CONTEXT") && rest.includes("heard from you"));
    },
  );
});

Deno.test("a system message between tool calls and their results waits for the results", () => {
  const messages: MessageParam[] = [
    { role: "user", content: "Go." },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "call_1", name: "Bash", input: { command: "ls" } }],
    },
    { role: "system", content: HOOK },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "a" }] },
  ];
  const target = { dialect: OPENAI_DIALECTS.deepseek!, model: "deepseek-chat", provider: "ds" };
  const chat = toOpenAIChatRequest(request(messages), target).messages;
  assert.deepEqual(chat.slice(1).map((m) => m.role), ["user", "assistant", "tool", "user"]);
  assert.match(String(chat.at(-1)!.content), /HOOK-POST-CONTEXT/);
  const gemini = toGeminiRequest(request(messages), { provider: "g", model: "gemini-3.8-flash" });
  assert.deepEqual(gemini.contents.map((c) => c.role), ["user", "model", "user"]);
  assert.ok(gemini.contents[2]!.parts[0]!.functionResponse, JSON.stringify(gemini.contents));
});

Deno.test("a system message after an answer joins the next user turn: no two user turns", () => {
  const messages: MessageParam[] = [
    { role: "user", content: "Go." },
    { role: "assistant", content: "Done." },
    { role: "system", content: NUDGE },
    { role: "user", content: "Next." },
  ];
  const target = { dialect: OPENAI_DIALECTS.deepseek!, model: "deepseek-chat", provider: "ds" };
  const chat = toOpenAIChatRequest(request(messages), target).messages;
  assert.deepEqual(chat.slice(1).map((m) => m.role), ["user", "assistant", "user"]);
  assert.match(JSON.stringify(chat.at(-1)!.content), /heard from you.*Next\./);
  // Before the next user turn arrives, the reminder is a user turn of its own.
  const before = toOpenAIChatRequest(request(messages.slice(0, 3)), target).messages;
  assert.deepEqual(before.slice(1).map((m) => m.role), ["user", "assistant", "user"]);
});
