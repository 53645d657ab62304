import assert from "node:assert/strict";
import type { MessageParam, MessagesRequest } from "../../src/protocols/anthropic.ts";
import { MISSING_RESULT_TEXT, pairToolBlocks } from "../../src/translate/anthropic/tool_pairs.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { threadCpuMs } from "../helpers/cpu_time.ts";

const call = (id: string) => ({
  type: "tool_use" as const,
  id,
  name: "Bash",
  input: { command: id },
});
const result = (id: string, content = `out ${id}`) => ({
  type: "tool_result" as const,
  tool_use_id: id,
  content,
});

// Claude Code histories have been seen with unpaired blocks: call_2
// never got a result, and call_zzz's result has no call before it.
const BROKEN: MessageParam[] = [
  { role: "user", content: "hi" },
  { role: "assistant", content: [call("call_1"), call("call_2")] },
  {
    role: "user",
    content: [result("call_1"), { type: "text", text: "[Request interrupted by user]" }],
  },
  { role: "assistant", content: [{ type: "text", text: "ok" }] },
  { role: "user", content: [result("call_zzz", "orphan")] },
];

const request = (messages: MessageParam[]): MessagesRequest => ({
  model: "claude-x",
  max_tokens: 100,
  messages,
});

Deno.test("pairToolBlocks: a well-paired history is returned as is", () => {
  const good: MessageParam[] = [
    { role: "user", content: "hi" },
    { role: "assistant", content: [call("a"), call("b")] },
    { role: "system", content: "reminder" },
    { role: "user", content: [result("b"), result("a"), { type: "text", text: "go on" }] },
  ];
  assert.equal(pairToolBlocks(good), good);
});

Deno.test("pairToolBlocks: missing results are added, orphan results become text", () => {
  const before = JSON.stringify(BROKEN);
  const out = pairToolBlocks(BROKEN);
  assert.equal(JSON.stringify(BROKEN), before, "input not changed");
  assert.deepEqual(out[2], {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "call_2", content: MISSING_RESULT_TEXT, is_error: true },
      result("call_1"),
      { type: "text", text: "[Request interrupted by user]" },
    ],
  });
  assert.deepEqual(out[4], {
    role: "user",
    content: [{ type: "text", text: "[result of tool call call_zzz]\norphan" }],
  });
});

Deno.test("pairToolBlocks: a call answered twice keeps its first result; the second is text", () => {
  const twice: MessageParam[] = [
    { role: "user", content: "hi" },
    { role: "assistant", content: [call("a"), call("b")] },
    { role: "user", content: [result("a"), result("a", "again"), result("b")] },
  ];
  assert.deepEqual(pairToolBlocks(twice)[2], {
    role: "user",
    content: [
      result("a"),
      { type: "text", text: "[result of tool call a]\nagain" },
      result("b"),
    ],
  });
  // Two results for one call and none for the other: as many results as calls, still repaired.
  const swapped: MessageParam[] = [
    ...twice.slice(0, 2),
    { role: "user", content: [result("a"), result("a", "again")] },
  ];
  assert.deepEqual(pairToolBlocks(swapped)[2], {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "b", content: MISSING_RESULT_TEXT, is_error: true },
      result("a"),
      { type: "text", text: "[result of tool call a]\nagain" },
    ],
  });
});

Deno.test("pairToolBlocks: two assistant turns in a row get the results in between", () => {
  const out = pairToolBlocks([
    { role: "user", content: "hi" },
    { role: "assistant", content: [call("a")] },
    { role: "assistant", content: [{ type: "text", text: "more" }] },
  ]);
  assert.equal(out.length, 4);
  assert.deepEqual(out[2], {
    role: "user",
    content: [{
      type: "tool_result",
      tool_use_id: "a",
      content: MISSING_RESULT_TEXT,
      is_error: true,
    }],
  });
});

Deno.test("Chat Completions: every tool call is answered, no tool message without its call", () => {
  const body = toOpenAIChatRequest(request(BROKEN), {
    dialect: DEFAULT_OPENAI_DIALECT,
    model: "m",
    provider: "p",
  });
  const toolIds = body.messages.flatMap((m) => m.role === "tool" ? [m.tool_call_id] : []);
  assert.deepEqual(toolIds.toSorted(), ["call_1", "call_2"]);
  assert.ok(JSON.stringify(body.messages).includes("[result of tool call call_zzz]"));
});

Deno.test("Responses: every function_call has its function_call_output", () => {
  const body = toResponsesRequest(request(BROKEN), { provider: "p", model: "gpt-5" });
  const calls = body.input.flatMap((i) => i.type === "function_call" ? [i.call_id] : []);
  const outputs = body.input.flatMap((i) => i.type === "function_call_output" ? [i.call_id] : []);
  assert.deepEqual(outputs.toSorted(), calls.toSorted());
});

Deno.test("Gemini: as many function responses as function calls", () => {
  const body = toGeminiRequest(request(BROKEN), { provider: "g", model: "gemini-2.5-pro" });
  const parts = body.contents.flatMap((c) => c.parts);
  const count = (key: string) => parts.filter((p) => key in p).length;
  assert.equal(count("functionResponse"), count("functionCall"));
});

Deno.test("regression: 50000 parallel calls and their results are paired in linear time", () => {
  // Each result was looked up among the calls and compared with every result before it: a turn
  // of 50000 calls took seconds (found by the request-shape fuzzing).
  const ids = Array.from({ length: 50_000 }, (_, i) => `call_${i}`);
  const whole: MessageParam[] = [
    { role: "user", content: "go" },
    { role: "assistant", content: ids.map(call) },
    { role: "user", content: ids.map((id) => result(id)) },
  ];
  const began = threadCpuMs();
  assert.equal(pairToolBlocks(whole), whole, "nothing to repair: the same history");
  // Results reversed, one missing and one twice: repaired the same way a small turn is.
  const broken: MessageParam[] = [
    whole[0]!,
    whole[1]!,
    { role: "user", content: [...ids.slice(1).reverse(), "call_7"].map((id) => result(id)) },
  ];
  const repaired = pairToolBlocks(broken);
  const took = threadCpuMs() - began;
  assert.ok(took < 1_500, `${took} ms`);
  const blocks = repaired[2]!.content as { type: string; tool_use_id?: string }[];
  assert.deepEqual(blocks[0], {
    type: "tool_result",
    tool_use_id: "call_0",
    content: MISSING_RESULT_TEXT,
    is_error: true,
  });
  assert.equal(blocks.filter((b) => b.type === "tool_result").length, 50_000);
  assert.equal(blocks.at(-1)!.type, "text", "the second result of call_7 is text");
});
