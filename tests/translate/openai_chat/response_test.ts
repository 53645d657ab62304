import assert from "node:assert/strict";
import { assertMessageKeys } from "../../helpers/anthropic_grammar.ts";
import { UpstreamError } from "../../../src/core/errors.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import { decodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import { tgiCallAnswer } from "../../mocks/tgi_answers.ts";

const OPTIONS = {
  clientModel: "claude-sonnet-4-5",
  inputTokens: 777,
  provider: "ds",
  upstreamModel: "deepseek-v4-pro",
  messageId: "msg_x",
};

Deno.test("non-streaming answers share the stream translator", async (t) => {
  await t.step("reasoning, text and tool calls become an Anthropic Message", () => {
    const message = openAIResponseToAnthropic({
      id: "chatcmpl-9",
      object: "chat.completion",
      model: "deepseek-v4-pro",
      choices: [{
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          reasoning_content: "Need the date.",
          content: "Checking.",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "Bash", arguments: '{"command":"date"}' },
            },
            { id: "call_2", type: "function", function: { name: "ListAgents", arguments: "" } },
          ],
        },
      }],
      usage: {
        prompt_tokens: 900,
        completion_tokens: 40,
        prompt_tokens_details: { cached_tokens: 800 },
      },
    }, { ...OPTIONS, dialect: OPENAI_DIALECTS.deepseek });
    assert.equal(message.id, "msg_x");
    assert.equal(message.model, "claude-sonnet-4-5");
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.content.length, 4);
    const [thinking, text, bash, list] = message.content;
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "Need the date.");
    assert.deepEqual(decodeCcpSignature(thinking.signature)?.fields, ["reasoning_content"]);
    assert.deepEqual(text, { type: "text", text: "Checking." });
    assert.deepEqual(bash, {
      type: "tool_use",
      id: "call_1",
      name: "Bash",
      input: { command: "date" },
    });
    assert.deepEqual(list, { type: "tool_use", id: "call_2", name: "ListAgents", input: {} });
    assert.deepEqual(message.usage, {
      input_tokens: 100,
      output_tokens: 40,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 800,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      inference_geo: null,
      output_tokens_details: null,
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
  await t.step("<think> tags in a whole answer; length → max_tokens; no usage → estimate", () => {
    const message = openAIResponseToAnthropic({
      choices: [{ message: { content: "<think>hmm</think>\n\nYes." }, finish_reason: "length" }],
    }, OPTIONS);
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "text"]);
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.usage.input_tokens, 777);
    assert.equal(message.usage.output_tokens, 2);
  });
  await t.step("an OpenAI refusal is text with stop_reason refusal", () => {
    const message = openAIResponseToAnthropic({
      choices: [{
        message: { content: "", refusal: "I can't help." },
        finish_reason: "content_filter",
      }],
    }, OPTIONS);
    assert.deepEqual(message.content, [{ type: "text", text: "I can't help." }]);
    assert.equal(message.stop_reason, "refusal");
  });
  await t.step("a legacy function_call is a tool_use block", () => {
    const message = openAIResponseToAnthropic({
      choices: [{
        message: { content: null, function_call: { name: "Bash", arguments: '{"command":"ls"}' } },
        finish_reason: "function_call",
      }],
    }, OPTIONS);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.content.length, 1);
    const block = message.content[0];
    assert.equal(block?.type, "tool_use");
    if (block?.type !== "tool_use") return;
    assert.equal(block.name, "Bash");
    assert.deepEqual(block.input, { command: "ls" });
  });
  await t.step("Mistral's typed content parts (magistral) keep their thinking and text", () => {
    // magistral answers a non-streamed request with `content` as a list of parts, as it streams.
    const message = openAIResponseToAnthropic({
      id: "0c1d7e2f",
      object: "chat.completion",
      model: "magistral-medium-2509",
      choices: [{
        index: 0,
        finish_reason: "stop",
        message: {
          role: "assistant",
          tool_calls: null,
          content: [
            {
              type: "thinking",
              thinking: [{ type: "text", text: "The user wants the file count." }],
            },
            { type: "text", text: "There are 12 files." },
          ],
        },
      }],
      usage: { prompt_tokens: 420, completion_tokens: 31, total_tokens: 451 },
    }, { ...OPTIONS, provider: "mistral", upstreamModel: "magistral-medium-2509" });
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "text"]);
    const [thinking, text] = message.content;
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "The user wants the file count.");
    assert.deepEqual(text, { type: "text", text: "There are 12 files." });
    assert.equal(message.stop_reason, "end_turn");
  });
  await t.step('TGI\'s answer: arguments as an object, its own finish word, id "0"', () => {
    const message = openAIResponseToAnthropic(
      tgiCallAnswer("Read", { file_path: "/etc/hosts" }),
      OPTIONS,
    );
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(message.content, [
      { type: "tool_use", id: "0", name: "Read", input: { file_path: "/etc/hosts" } },
    ]);
  });
  await t.step("TGI's no_tool (its grammar's answer without a tool) is the answer's text", () => {
    // What TGI 2.x answers, not streamed, when the model picks the grammar's `no_tool`: a call of
    // that name, its `content` the answer.
    const tgi = (args: unknown, finish?: string) => tgiCallAnswer("no_tool", args, finish);
    for (const args of [{ content: "Hosts maps names." }, '{"content": "Hosts maps names."}']) {
      for (const finish of ["eos_token", "tool_calls"]) {
        const message = openAIResponseToAnthropic(tgi(args, finish), OPTIONS);
        assert.deepEqual(message.content, [{ type: "text", text: "Hosts maps names." }]);
        assert.equal(message.stop_reason, "end_turn");
      }
    }
    // A request that offered a tool named no_tool gets its call.
    const offered = openAIResponseToAnthropic(tgi({ content: "x" }, "tool_calls"), {
      ...OPTIONS,
      offeredNoTool: true,
    });
    assert.equal(offered.stop_reason, "tool_use");
    assert.deepEqual(offered.content, [
      { type: "tool_use", id: "0", name: "no_tool", input: { content: "x" } },
    ]);
  });
  await t.step("error bodies, empty choices and non-objects throw UpstreamError", () => {
    for (const body of [{ error: { message: "bad key" } }, { choices: [] }, "nope", null]) {
      assert.throws(() => openAIResponseToAnthropic(body, OPTIONS), UpstreamError);
    }
    assert.throws(
      () => openAIResponseToAnthropic({ error: { message: "bad key" } }, OPTIONS),
      /Upstream provider "ds" \(model deepseek-v4-pro\) returned an error: bad key/,
    );
  });
});
