/**
 * Claude Code 2.1.332's effort per turn, as recorded in an interactive session: "ultrathink" put
 * `output_config: {effort: "xhigh"}` on the environment's system message, and each `/effort` after
 * an answer appended a system message with empty content carrying the new effort. The top-level
 * `output_config.effort` holds the current one, and that is what each translation carries; the
 * per-message keys and the empty messages reach no upstream.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { foldSystemMessages } from "../../src/upstream/cleaning/system_messages.ts";
import { isWellFormedMessagesRequest } from "../../src/protocols/anthropic_request_check.ts";
import { parseMessagesRequest } from "../../src/protocols/anthropic_request.ts";

// Trimmed from the recording: the texts shortened, the tools and system blocks left out.
const REQUEST = {
  model: "claude-opus-5-5",
  max_tokens: 128000,
  stream: true,
  thinking: { type: "adaptive", display: "updates" },
  output_config: { effort: "low" },
  messages: [
    { role: "user", content: [{ type: "text", text: "ultrathink: say hi" }] },
    {
      role: "system",
      content: "# Environment\nYou have been invoked in the following environment: …",
      output_config: { effort: "xhigh" },
    },
    { role: "assistant", content: [{ type: "text", text: "Hi." }] },
    { role: "user", content: [{ type: "text", text: "say again" }] },
    { role: "system", content: [], output_config: { effort: "medium" } },
    { role: "assistant", content: [{ type: "text", text: "Hi again." }] },
    { role: "user", content: [{ type: "text", text: "third" }] },
    { role: "system", content: [], output_config: { effort: "low" } },
  ],
} as unknown as MessagesRequest;

const empty = (content: unknown) =>
  content === "" || (Array.isArray(content) && content.length === 0);

Deno.test("per-turn effort: admitted as it came, by the check and the schema alike", () => {
  assert.ok(isWellFormedMessagesRequest(REQUEST));
  const parsed = parseMessagesRequest(REQUEST) as unknown as { messages: unknown[] };
  assert.deepEqual(parsed.messages, REQUEST.messages);
});

Deno.test("per-turn effort → Chat Completions: the top-level effort, no empty system message", () => {
  // OpenAI takes system messages where they stand; DeepSeek gets them at the top.
  const cases = [
    [OPENAI_DIALECTS.openai!, ["user", "system", "assistant", "user", "assistant", "user"]],
    [OPENAI_DIALECTS.deepseek!, ["system", "user", "assistant", "user", "assistant", "user"]],
  ] as const;
  for (const [dialect, roles] of cases) {
    const body = toOpenAIChatRequest(REQUEST, { dialect, provider: "p", model: "gpt-5.5" });
    assert.deepEqual(body.messages.map((m) => m.role), roles, dialect.name);
    const system = body.messages.find((m) => m.role === "system");
    assert.match(String(system?.content), /^# Environment/, dialect.name);
    assert.ok(!body.messages.some((m) => empty(m.content)), dialect.name);
    assert.ok(!JSON.stringify(body).includes("output_config"), dialect.name);
  }
  const openai = toOpenAIChatRequest(REQUEST, {
    dialect: OPENAI_DIALECTS.openai!,
    provider: "openai",
    model: "gpt-5.5",
  });
  assert.equal(openai.reasoning_effort, "low");
});

Deno.test("per-turn effort → Responses: the top-level effort, no empty developer message", () => {
  const body = toResponsesRequest(REQUEST, { provider: "openai", model: "gpt-5.5" });
  assert.equal(body.reasoning?.effort, "low");
  const roles = body.input.map((i) => ("role" in i ? i.role : i.type));
  assert.deepEqual(roles, ["user", "developer", "assistant", "user", "assistant", "user"]);
  assert.ok(!JSON.stringify(body).includes("output_config"));
});

Deno.test("per-turn effort → Gemini: the top-level effort as the thinking level", () => {
  const body = toGeminiRequest(REQUEST, { provider: "gemini", model: "gemini-3-pro-preview" });
  assert.equal(body.generationConfig?.thinkingConfig?.thinkingLevel, "low");
  assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user", "model", "user"]);
  assert.ok(!body.contents.some((c) => c.parts.length === 0));
  assert.match(body.systemInstruction?.parts[0]?.text ?? "", /# Environment/);
  assert.ok(!JSON.stringify(body).includes("output_config"));
});

Deno.test("per-turn effort → an Anthropic-compatible gateway: folded away with its messages", () => {
  const body = foldSystemMessages(REQUEST as unknown as Record<string, unknown>);
  const messages = body.messages as Array<Record<string, unknown>>;
  assert.deepEqual(messages.map((m) => m.role), [
    "user",
    "assistant",
    "user",
    "assistant",
    "user",
  ]);
  assert.ok(!messages.some((m) => "output_config" in m || empty(m.content)));
  assert.match(String(body.system), /^# Environment/);
  assert.deepEqual(body.output_config, { effort: "low" });
});
