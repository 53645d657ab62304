import assert from "node:assert/strict";
import { assertMessageKeys } from "../../helpers/anthropic_grammar.ts";
import { UpstreamError } from "../../../src/core/errors.ts";
import type { ContentBlockParam } from "../../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { geminiResponseToAnthropic } from "../../../src/translate/gemini/response.ts";
import {
  decodeCcpSignature,
  stripCcpThinking,
} from "../../../src/translate/reasoning/provenance.ts";

const OPTIONS = {
  clientModel: "claude-sonnet-4-5",
  inputTokens: 777,
  provider: "gem",
  upstreamModel: "gemini-3-flash-preview",
  messageId: "msg_x",
};

/** A Gemini 3 answer: a thought summary, then a signed call and an unsigned parallel call. */
const ANSWER = {
  candidates: [{
    content: {
      role: "model",
      parts: [
        { text: "Need the date and the files.", thought: true },
        { functionCall: { name: "Bash", args: { command: "date" } }, thoughtSignature: "Q0FMTDE=" },
        { functionCall: { name: "Bash", args: { command: "ls" } } },
      ],
    },
    finishReason: "STOP",
    index: 0,
  }],
  usageMetadata: {
    promptTokenCount: 900,
    candidatesTokenCount: 40,
    thoughtsTokenCount: 25,
    cachedContentTokenCount: 800,
    totalTokenCount: 965,
  },
  modelVersion: "gemini-3-flash-preview",
};

Deno.test("non-streaming answers share the stream translator", async (t) => {
  await t.step("thought, calls and usage become an Anthropic Message", () => {
    const message = geminiResponseToAnthropic(ANSWER, OPTIONS);
    assert.equal(message.id, "msg_x");
    assert.equal(message.model, "claude-sonnet-4-5");
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "tool_use", "tool_use"]);
    assert.deepEqual(message.content.slice(1).map((b) => b.type === "tool_use" && b.input), [
      { command: "date" },
      { command: "ls" },
    ]);
    assert.deepEqual(message.usage, {
      input_tokens: 100,
      output_tokens: 65,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 800,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      inference_geo: null,
      output_tokens_details: { thinking_tokens: 25 },
      server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
      service_tier: "standard",
      speed: "standard",
    });
    // Every key Anthropic's API sends on a Message, null where a translation cannot know.
    assertMessageKeys(message);
    assert.deepEqual(
      [message.stop_details, message.container, message.diagnostics],
      [null, null, null],
    );
  });
  await t.step("calls the output limit cut short end with max_tokens, not tool_use", () => {
    const candidate = { ...ANSWER.candidates[0]!, finishReason: "MAX_TOKENS" };
    const message = geminiResponseToAnthropic({ ...ANSWER, candidates: [candidate] }, OPTIONS);
    assert.equal(message.stop_reason, "max_tokens");
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "tool_use", "tool_use"]);
    assert.deepEqual(message.content[2]?.type === "tool_use" && message.content[2].input, {
      command: "ls",
    });
  });
  await t.step("a prompt block is a refusal with an explanation", () => {
    const message = geminiResponseToAnthropic({
      promptFeedback: { blockReason: "SAFETY", blockReasonMessage: "unsafe" },
      usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
    }, OPTIONS);
    assert.equal(message.stop_reason, "refusal");
    assert.deepEqual(message.stop_details, { type: "refusal", category: null, explanation: null });
    assertMessageKeys(message);
    assert.deepEqual(message.content, [{
      type: "text",
      text: "[Gemini refused the request: the prompt was blocked (blockReason SAFETY): unsafe]",
    }]);
  });
  await t.step("a recitation, a language or a failed tool call ends the turn, saying why", () => {
    const cases: [string, string][] = [
      ["RECITATION", "too closely"],
      ["LANGUAGE", "language"],
      ["MALFORMED_FUNCTION_CALL", "does not parse"],
      ["UNEXPECTED_TOOL_CALL", "did not offer it"],
      ["TOO_MANY_TOOL_CALLS", "too many times in a row"],
      ["MISSING_THOUGHT_SIGNATURE", "without the thought signature"],
      ["MALFORMED_RESPONSE", "its own answer was malformed"],
    ];
    for (const [reason, words] of cases) {
      const message = geminiResponseToAnthropic({
        candidates: [{
          content: { role: "model", parts: [{ text: "Sure:" }] },
          finishReason: reason,
          index: 0,
        }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
      }, OPTIONS);
      assert.equal(message.stop_reason, "end_turn", reason);
      const note = message.content[1];
      assert.ok(note?.type === "text" && note.text.includes(words), reason);
      assert.ok(note?.type === "text" && note.text.includes(`finishReason ${reason}`), reason);
    }
  });
  await t.step("safety and policy filters stay refusals", () => {
    for (const reason of ["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "MODEL_ARMOR"]) {
      const message = geminiResponseToAnthropic({
        candidates: [{ content: { role: "model", parts: [] }, finishReason: reason, index: 0 }],
      }, OPTIONS);
      assert.equal(message.stop_reason, "refusal", reason);
    }
  });
  await t.step("a candidate without finishReason still ends normally", () => {
    const message = geminiResponseToAnthropic({
      candidates: [{ content: { parts: [{ text: "ok" }] } }],
    }, OPTIONS);
    assert.equal(message.stop_reason, "end_turn");
    assert.deepEqual(message.content, [{ type: "text", text: "ok" }]);
    assert.equal(message.usage.input_tokens, 777, "no upstream usage: ccp's count");
  });
  await t.step("several candidates: the first is used", () => {
    const message = geminiResponseToAnthropic({
      candidates: [
        { index: 1, content: { parts: [{ text: "second" }] }, finishReason: "STOP" },
        { index: 0, content: { parts: [{ text: "first" }] }, finishReason: "STOP" },
      ],
    }, OPTIONS);
    assert.deepEqual(message.content, [{ type: "text", text: "first" }]);
  });
  await t.step("error bodies, non-objects and empty answers are 502s naming the provider", () => {
    for (
      const [body, pattern] of [
        [{ error: { code: 500, message: "Internal", status: "INTERNAL" } }, /INTERNAL: Internal/],
        [[1, 2], /non-object/],
        [{ candidates: [] }, /no candidates/],
      ] as const
    ) {
      assert.throws(
        () => geminiResponseToAnthropic(body, OPTIONS),
        (e: unknown) =>
          e instanceof UpstreamError && e.status === 502 && /"gem"/.test(e.message) &&
          pattern.test(e.message),
      );
    }
  });
});

Deno.test("round trip: an answer's signatures reach the next request unchanged", () => {
  const message = geminiResponseToAnthropic(ANSWER, OPTIONS);
  const assistant = message.content as unknown as ContentBlockParam[];
  const results: ContentBlockParam[] = message.content.flatMap((b) =>
    b.type === "tool_use"
      ? [{ type: "tool_result" as const, tool_use_id: b.id, content: `out of ${b.id}` }]
      : []
  );
  const next = {
    model: "claude-sonnet-4-5",
    max_tokens: 1000,
    messages: [
      { role: "user" as const, content: "what now?" },
      { role: "assistant" as const, content: assistant },
      { role: "user" as const, content: results },
    ],
  };
  const body = toGeminiRequest(next, { provider: "gem", model: "gemini-3-flash-preview" });
  // The thought summary was unsigned (dropped); the signature sits on the first call again.
  assert.deepEqual(body.contents[1]?.parts, [
    { functionCall: { name: "Bash", args: { command: "date" } }, thoughtSignature: "Q0FMTDE=" },
    { functionCall: { name: "Bash", args: { command: "ls" } } },
  ]);
  assert.deepEqual(
    body.contents[2]?.parts.map((p) => p.functionResponse?.name),
    ["Bash", "Bash"],
  );
  // Elsewhere the block is foreign: another provider drops it, a real Anthropic upstream never sees it.
  const other = toGeminiRequest(next, { provider: "other", model: "gemini-3-flash-preview" });
  assert.equal(other.contents[1]?.parts[0]?.thoughtSignature, "skip_thought_signature_validator");
  const thinking = message.content[0];
  assert.ok(thinking?.type === "thinking");
  assert.equal(decodeCcpSignature(thinking.signature), null, "not an OpenAI provenance record");
  const stripped = stripCcpThinking(next);
  assert.ok(
    !JSON.stringify(stripped).includes('"thinking"'),
    "ccp-signed Gemini thinking is stripped before Anthropic",
  );
});
