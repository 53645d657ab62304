/**
 * Gemini behind an OpenAI-compatible endpoint (Google's `/v1beta/openai`, Vertex AI's
 * `endpoints/openapi`): each tool call's thought signature arrives in
 * `tool_calls[].extra_content.google.thought_signature`, and Gemini 3 answers 400 "Function call
 * is missing a thought_signature" when the first call of a step comes back without one.
 */

import assert from "node:assert/strict";
import type { MessageParam, MessagesRequest } from "../../../src/protocols/anthropic.ts";
import type {
  ChatAssistantMessage,
  ChatCompletionRequest,
} from "../../../src/protocols/openai_chat.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import { req } from "../_request.ts";
import { delta, DONE, message, OPTIONS } from "./_translator.ts";

const MODEL = "gemini-3-flash-preview";
const TARGET = { provider: "google", upstreamModel: MODEL };
const SIG_A = "CiQBcsjafQ" + "a".repeat(600);
const SIG_B = "EjQKMgFyyNp9" + "b".repeat(300);

function google(signature: string) {
  return { google: { thought_signature: signature } };
}

function map(request: MessagesRequest, model = MODEL, dialect = DEFAULT_OPENAI_DIALECT) {
  return toOpenAIChatRequest(request, { dialect, model, provider: "google" });
}

function assistantOf(body: ChatCompletionRequest): ChatAssistantMessage {
  return body.messages.find((m) => m.role === "assistant") as ChatAssistantMessage;
}

/** The next request of the session: the answer's content, then the tools' results. */
function nextTurn(content: unknown[]): MessagesRequest {
  const ids = content.flatMap((b) => {
    const block = b as { type: string; id?: string };
    return block.type === "tool_use" ? [block.id!] : [];
  });
  const messages: MessageParam[] = [
    { role: "user", content: "List the files, then read README.md" },
    { role: "assistant", content: content as MessageParam["content"] },
    {
      role: "user",
      content: ids.map((id) => ({ type: "tool_result", tool_use_id: id, content: "ok" })),
    },
  ];
  return req({ messages });
}

Deno.test("a streamed call's extra_content goes back on that call in the next request", () => {
  const answer = message([
    delta({ role: "assistant", content: "Looking." }),
    delta({
      tool_calls: [{
        index: 0,
        id: "call_1",
        type: "function",
        function: { name: "Bash", arguments: '{"command":"ls"}' },
        extra_content: google(SIG_A),
      }],
    }),
    delta({
      tool_calls: [{
        index: 1,
        id: "call_2",
        type: "function",
        function: { name: "Read", arguments: '{"file_path":"/r/README.md"}' },
      }],
    }, "tool_calls"),
    DONE,
  ], TARGET);
  assert.equal(answer.stop_reason, "tool_use");
  assert.deepEqual(answer.content.map((b) => b.type), ["text", "thinking", "tool_use", "tool_use"]);
  const calls = assistantOf(map(nextTurn(answer.content))).tool_calls!;
  assert.deepEqual(calls.map((c) => c.extra_content), [google(SIG_A), undefined]);
});

Deno.test("signatures of a non-streamed answer come back on their own calls", () => {
  const answer = openAIResponseToAnthropic({
    id: "x",
    choices: [{
      index: 0,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: { name: "Glob", arguments: '{"pattern":"*"}' },
            extra_content: google(SIG_A),
          },
          {
            id: "c2",
            type: "function",
            function: { name: "Grep", arguments: '{"pattern":"x"}' },
            extra_content: google(SIG_B),
          },
        ],
      },
    }],
  }, { ...OPTIONS, ...TARGET });
  const calls = assistantOf(map(nextTurn(answer.content))).tool_calls!;
  assert.deepEqual(calls.map((c) => c.extra_content), [google(SIG_A), google(SIG_B)]);
  // Another model of the provider cannot read these signatures: the placeholder goes instead.
  const other = assistantOf(map(nextTurn(answer.content), "gemini-3-pro-preview")).tool_calls!;
  assert.deepEqual(other.map((c) => c.extra_content), [
    google("skip_thought_signature_validator"),
    undefined,
  ]);
});

const FOREIGN_CALLS = [
  { type: "text", text: "I'll look." },
  { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "pwd" } },
];

Deno.test("calls made by another model get Gemini 3's placeholder signature on the first", () => {
  const calls = assistantOf(map(nextTurn(FOREIGN_CALLS))).tool_calls!;
  assert.deepEqual(calls[0]!.extra_content, google("skip_thought_signature_validator"));
  assert.equal(calls[1]!.extra_content, undefined);
});

Deno.test("no placeholder for models and hosts that do not ask for one", () => {
  for (const model of ["gpt-4.1", "gemini-2.5-flash", "gemma-3-27b-it", "qwen3-coder"]) {
    const calls = assistantOf(map(nextTurn(FOREIGN_CALLS), model)).tool_calls!;
    assert.ok(calls.every((c) => !("extra_content" in c)), model);
  }
  const routed = map(
    nextTurn(FOREIGN_CALLS),
    "google/gemini-3-pro-preview",
    OPENAI_DIALECTS.openrouter,
  );
  assert.ok(assistantOf(routed).tool_calls!.every((c) => !("extra_content" in c)));
});
