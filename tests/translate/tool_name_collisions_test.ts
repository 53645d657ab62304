/**
 * Client tool names that would reach an upstream under one name: `a.b` and `a_b` on the OpenAI
 * wires (which allow no dots), `1x` and `_1x` on Gemini (whose names cannot start with a digit).
 * Each must reach the upstream under its own name, the same one in declarations, history and
 * tool_choice, every turn; a call must come back to the tool it was made to.
 */

import assert from "node:assert/strict";
import type { MessagesRequest, ToolDefinition } from "../../src/protocols/anthropic.ts";
import { renamedTools } from "../../src/translate/gemini/names.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { geminiResponseToAnthropic } from "../../src/translate/gemini/response.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { responsesResponseToAnthropic } from "../../src/translate/openai_responses/response.ts";
import { OPENAI_TOOL_NAMES, renamedToolNames, toolNamer } from "../../src/translate/tool_names.ts";
import { responseObject } from "../mocks/responses_wire.ts";

const tool = (name: string): ToolDefinition => ({
  name,
  input_schema: { type: "object", properties: {} },
});

/** Declares `names` (in that order), calls each once in the history and forces the first. */
function request(names: readonly string[]): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    tools: names.map(tool),
    tool_choice: { type: "tool", name: names[0]! },
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: names.map((name, i) => ({ type: "tool_use", id: `t${i}`, name, input: {} })),
      },
      {
        role: "user",
        content: names.map((_, i) => ({
          type: "tool_result",
          tool_use_id: `t${i}`,
          content: "ok",
        })),
      },
    ],
  };
}

const TARGET = { provider: "p", model: "m" };
const ANSWER = {
  clientModel: "claude-opus-5-5",
  inputTokens: 10,
  provider: "p",
  upstreamModel: "m",
};

function chatNames(names: readonly string[]) {
  const body = toOpenAIChatRequest(request(names), { dialect: DEFAULT_OPENAI_DIALECT, ...TARGET });
  const declared = (body.tools ?? []).map((t) => t.function.name);
  const history = body.messages.flatMap((m) =>
    "tool_calls" in m && m.tool_calls ? m.tool_calls.map((c) => c.function.name) : []
  );
  const choice = body.tool_choice as { function: { name: string } };
  return { declared, history, choice: choice.function.name };
}

Deno.test("Chat Completions: a.b and a_b reach the upstream as two functions", async (t) => {
  const { declared, history, choice } = chatNames(["a.b", "a_b"]);
  await t.step("two names, each valid, the valid one unchanged", () => {
    assert.equal(new Set(declared).size, 2);
    for (const name of declared) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(declared[1], "a_b");
    assert.match(declared[0]!, /^a_b_[0-9a-f]{16}$/);
  });
  await t.step("history and tool_choice use the same names", () => {
    assert.deepEqual(history, declared);
    assert.equal(choice, declared[0]);
  });
  await t.step("the same names whatever the order the tools come in", () => {
    assert.deepEqual(chatNames(["a_b", "a.b"]).declared, [declared[1], declared[0]]);
  });
  await t.step("each call comes back to the tool it was made to", () => {
    const message = openAIResponseToAnthropic({
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: declared.map((name, i) => ({
            id: `c${i}`,
            type: "function" as const,
            function: { name, arguments: "{}" },
          })),
        },
        finish_reason: "tool_calls",
      }],
    }, {
      ...ANSWER,
      toolNames: renamedToolNames(request(["a.b", "a_b"]).tools, OPENAI_TOOL_NAMES),
    });
    const calls = message.content.flatMap((b) => b.type === "tool_use" ? [b.name] : []);
    assert.deepEqual(calls, ["a.b", "a_b"]);
  });
});

Deno.test("names that collide with no other stay as readable as before", () => {
  assert.deepEqual(chatNames(["a.b", "Bash"]).declared, ["a_b", "Bash"]);
  // Two renamed names that meet both get their own hash: neither is preferred.
  const both = chatNames(["a.b", "a:b"]).declared;
  assert.equal(new Set(both).size, 2);
  for (const name of both) assert.match(name, /^a_b_[0-9a-f]{16}$/);
});

Deno.test("a name in the history that no tool declares any more does not take a declared one", () => {
  const names = toolNamer([tool("a_b")], OPENAI_TOOL_NAMES);
  assert.equal(names("a_b"), "a_b");
  assert.notEqual(names("a.b"), "a_b");
  assert.equal(names("c.d"), "c_d");
});

Deno.test("Responses: a.b and a_b reach the upstream as two functions and come back apart", () => {
  const req = request(["a.b", "a_b"]);
  const body = toResponsesRequest(req, TARGET);
  const declared = (body.tools ?? []).map((t) => (t as { name: string }).name);
  assert.equal(new Set(declared).size, 2);
  assert.equal(declared[1], "a_b");
  const history = (body.input as { type?: string; name?: string }[])
    .filter((i) => i.type === "function_call").map((i) => i.name);
  assert.deepEqual(history, declared);
  assert.deepEqual(body.tool_choice, { type: "function", name: declared[0] });
  const items = declared.map((name, i) => ({
    kind: "call" as const,
    name,
    args: "{}",
    callId: `c${i}`,
  }));
  const message = responsesResponseToAnthropic(
    responseObject({ items }, "m"),
    { ...ANSWER, toolNames: renamedToolNames(req.tools, OPENAI_TOOL_NAMES) },
  );
  const calls = message.content.flatMap((b) => b.type === "tool_use" ? [b.name] : []);
  assert.deepEqual(calls, ["a.b", "a_b"]);
});

Deno.test("Gemini: 1x and _1x reach the upstream as two functions and come back apart", () => {
  const req = request(["1x", "_1x"]);
  const body = toGeminiRequest(req, { provider: "p", model: "gemini-2.5-flash" });
  const declared = body.tools?.[0]?.functionDeclarations.map((d) => d.name) ?? [];
  assert.equal(new Set(declared).size, 2);
  assert.equal(declared[1], "_1x");
  assert.match(declared[0]!, /^_1x_[0-9a-f]{16}$/);
  const calls = body.contents[1]?.parts.map((p) => p.functionCall?.name);
  const responses = body.contents[2]?.parts.map((p) => p.functionResponse?.name);
  assert.deepEqual(calls, declared);
  assert.deepEqual(responses, declared);
  assert.deepEqual(body.toolConfig?.functionCallingConfig.allowedFunctionNames, [declared[0]]);
  const message = geminiResponseToAnthropic({
    candidates: [{
      content: {
        role: "model",
        parts: declared.map((name) => ({ functionCall: { name, args: {} } })),
      },
      finishReason: "STOP",
    }],
  }, { ...ANSWER, upstreamModel: "gemini-2.5-flash", toolNames: renamedTools(req.tools) });
  const back = message.content.flatMap((b) => b.type === "tool_use" ? [b.name] : []);
  assert.deepEqual(back, ["1x", "_1x"]);
});

Deno.test("a valid name in the history that no tool declares any more does not take a declared one's", () => {
  // a_b was a tool once; a.b, declared now, reaches the upstream as a_b.
  const names = toolNamer([tool("a.b")], OPENAI_TOOL_NAMES);
  assert.equal(names("a.b"), "a_b", "the declared tool keeps its readable name");
  assert.notEqual(names("a_b"), "a_b");
  assert.match(names("a_b"), /^a_b_[0-9a-f]{16}$/);
  assert.equal(names("Bash"), "Bash", "a valid name no declared one fits to stays");
  const req: MessagesRequest = {
    ...request(["a.b"]),
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: [{ type: "tool_use", id: "old", name: "a_b", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "old", content: "ok" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "new", name: "a.b", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "new", content: "ok" }] },
    ],
  };
  const body = toOpenAIChatRequest(req, { dialect: DEFAULT_OPENAI_DIALECT, ...TARGET });
  const history = body.messages.flatMap((m) =>
    "tool_calls" in m && m.tool_calls ? m.tool_calls.map((c) => c.function.name) : []
  );
  assert.equal(history[1], "a_b");
  assert.notEqual(history[0], history[1], "the old tool's call is not the declared tool's");
});
