/**
 * A request wide rather than deep: hundreds of thousands of blocks in one turn, or of tool
 * results. Each translator must map it, not run out of stack spreading one array into another
 * (which ccp then answered as a body "nested too deeply").
 */

import assert from "node:assert/strict";
import type {
  ContentBlockParam,
  MessageParam,
  MessagesRequest,
} from "../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { req } from "./_request.ts";

const WIDE = 300_000;

function wide(blocks: (i: number) => ContentBlockParam, system = false): MessagesRequest {
  const content = Array.from({ length: WIDE }, (_, i) => blocks(i));
  return req({
    ...(system ? { system: content.filter((b) => b.type === "text") } : {}),
    messages: ([
      {
        role: "assistant",
        content: Array.from({ length: WIDE }, (_, i) => ({
          type: "tool_use" as const,
          id: `t${i}`,
          name: "f",
          input: {},
        })),
      },
      { role: "user", content },
    ] as MessageParam[]).slice(blocks(0).type === "tool_result" ? 0 : 1),
  });
}

const texts = wide((i) => ({ type: "text", text: `t${i}` }));
const results = wide((i) => ({ type: "tool_result", tool_use_id: `t${i}`, content: "ok" }));
const system = wide((i) => ({ type: "text", text: `s${i}` }), true);

Deno.test("wide requests: Chat Completions maps 300,000 blocks or tool results in one turn", () => {
  const target = { dialect: DEFAULT_OPENAI_DIALECT, provider: "p", model: "m" };
  const one = toOpenAIChatRequest(texts, target).messages.at(-1)!;
  assert.equal((one.content as unknown[]).length, WIDE);
  const tools = toOpenAIChatRequest(results, target).messages;
  assert.equal(tools.filter((m) => m.role === "tool").length, WIDE);
});

Deno.test("wide requests: Gemini maps 300,000 blocks, tool results or system texts", () => {
  const target = { provider: "g", model: "gemini-2.5-pro" };
  assert.equal(toGeminiRequest(texts, target).contents.at(-1)!.parts.length, WIDE);
  const calls = toGeminiRequest(results, target).contents;
  assert.equal(calls.at(-1)!.parts.length, WIDE);
  assert.ok(toGeminiRequest(system, target).systemInstruction !== undefined);
  // Two user turns in a row are one Gemini turn: the second's parts join the first's.
  const joined = req({ messages: [{ role: "user", content: "hi" }, ...texts.messages] });
  assert.equal(toGeminiRequest(joined, target).contents.at(-1)!.parts.length, WIDE + 1);
});

Deno.test("wide requests: the Responses API maps 300,000 blocks or tool results", () => {
  const target = { provider: "o", model: "gpt-5-codex" };
  assert.ok(toResponsesRequest(texts, target).input.length >= 1);
  const outputs = toResponsesRequest(results, target).input;
  assert.equal(outputs.filter((i) => i.type === "function_call_output").length, WIDE);
});
