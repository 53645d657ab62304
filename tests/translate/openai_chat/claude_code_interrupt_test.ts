/**
 * The history the real, interactive Claude Code 2.1.330 sent after a user pressed Esc three ways
 * (mid-answer, while a Bash call ran, then read an image), captured at the upstream and replayed
 * through the Chat Completions translation: every dialect must give a history an OpenAI-style API
 * accepts, or the session's next prompt fails with a 400 that no retry fixes.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import type { ChatMessage } from "../../../src/protocols/openai_chat.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAF0lEQVR4nGP4z8BAEiJN9aiGUQ1DSgMAkPn/Afnh+ngAAAAASUVORK5CYII=";

const REJECTED = "The user doesn't want to proceed with this tool use. The tool use was rejected " +
  "(eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are " +
  "doing and wait for the user to tell you how to proceed.";

/** Claude Code's messages, block for block as captured (the long reminder text shortened). */
const AFTER_INTERRUPTS: MessagesRequest = {
  model: "claude-opus-5-5",
  max_tokens: 128000,
  stream: true,
  system: [{ type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." }],
  tools: [{
    name: "Bash",
    input_schema: { type: "object", properties: { command: { type: "string" } } },
  }, { name: "Read", input_schema: { type: "object", properties: { file_path: {} } } }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "<system-reminder>\nAttribution for git commits…</system-reminder>" },
        { type: "text", text: "slow words" },
      ],
    },
    // Esc mid-answer: the words that had arrived stay as the assistant's turn.
    { role: "assistant", content: [{ type: "text", text: "w0 w1 w2 w3 " }] },
    {
      role: "user",
      content: [
        { type: "text", text: "[Request interrupted by user]\n" },
        { type: "text", text: "slowtool run" },
      ],
    },
    {
      role: "assistant",
      content: [{
        type: "tool_use",
        id: "toolu_4",
        name: "Bash",
        input: {
          command: "python3 -c 'import time; time.sleep(60)'",
          description: "wait then echo",
        },
      }],
    },
    // Esc while the tool ran: an error result, then the interruption and the next prompt in the
    // same user turn.
    {
      role: "user",
      content: [
        { type: "tool_result", content: REJECTED, is_error: true, tool_use_id: "toolu_4" },
        { type: "text", text: "[Request interrupted by user for tool use]\n" },
        { type: "text", text: "slowpair go" },
      ],
    },
    // Esc while a call's input streamed: Claude Code keeps this text instead of the call.
    { role: "assistant", content: [{ type: "text", text: "[Tool use interrupted]" }] },
    { role: "user", content: "read /tmp/work/dot.png" },
    {
      role: "assistant",
      content: [{
        type: "tool_use",
        id: "toolu_6",
        name: "Read",
        input: { file_path: "/tmp/work/dot.png" },
      }],
    },
    {
      role: "user",
      content: [{
        tool_use_id: "toolu_6",
        type: "tool_result",
        content: [{
          type: "image",
          source: { type: "base64", data: PNG, media_type: "image/png" },
        }],
        cache_control: { type: "ephemeral" },
      }],
    },
    { role: "assistant", content: [{ type: "text", text: "done after Read tool" }] },
    { role: "user", content: [{ type: "text", text: "final question" }] },
  ],
} as MessagesRequest;

/** The rules behind OpenAI's own 400s for a history; undefined when it would be accepted. */
function refusal(messages: ChatMessage[]): string | undefined {
  for (const [i, m] of messages.entries()) {
    if (m.role === "assistant") {
      const calls = m.tool_calls ?? [];
      if (!m.content && calls.length === 0) return `messages[${i}]: empty assistant message`;
      const answered = new Set<string>();
      for (let j = i + 1; messages[j]?.role === "tool"; j++) {
        answered.add((messages[j] as { tool_call_id: string }).tool_call_id);
      }
      const missing = calls.filter((c) => !answered.has(c.id));
      if (missing.length > 0) return `messages[${i}]: tool_calls without tool messages`;
    }
    if (m.role === "tool") {
      let j = i - 1;
      while (messages[j]?.role === "tool") j--;
      const before = messages[j];
      const calls = before?.role === "assistant" ? before.tool_calls ?? [] : [];
      if (!calls.some((c) => c.id === m.tool_call_id)) {
        return `messages[${i}]: a tool message must answer a preceding tool_calls message`;
      }
      if (typeof m.content !== "string") return `messages[${i}]: tool content must be text`;
    }
    if (m.role !== "user" && JSON.stringify(m).includes('"image_url"')) {
      return `messages[${i}]: only user messages may hold images`;
    }
  }
  return undefined;
}

Deno.test("Claude Code's history after Esc maps to a history every OpenAI dialect accepts", async (t) => {
  for (const [name, dialect] of Object.entries(OPENAI_DIALECTS)) {
    await t.step(name, () => {
      const body = toOpenAIChatRequest(AFTER_INTERRUPTS, { dialect, provider: "p", model: "m" });
      assert.equal(refusal(body.messages), undefined, JSON.stringify(body.messages, null, 1));
      const text = JSON.stringify(body.messages);
      assert.match(text, /\[Request interrupted by user for tool use\]/);
      assert.match(text, /w0 w1 w2 w3/);
      if (dialect.supportsImages) {
        // The image a tool returned follows its tool message, in a user message.
        // (Read's is the last tool message; Mistral's quirk renames the call ids.)
        const at = body.messages.findLastIndex((m) => m.role === "tool");
        // Mistral refuses a user message right after tool results: an empty assistant one
        // goes between them.
        const bridged = name === "mistral";
        if (bridged) assert.deepEqual(body.messages[at + 1], { role: "assistant", content: " " });
        const next = body.messages[at + (bridged ? 2 : 1)];
        assert.equal(next?.role, "user");
        assert.match(JSON.stringify(next), new RegExp(`data:image/png;base64,${PNG.slice(0, 20)}`));
      }
    });
  }
});
