import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { toOpenAIChatRequest } from "../../src/translate/mod.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { encodeSnippet, serverToolBlockText } from "../../src/translate/anthropic/server_tools.ts";

// An earlier turn that ran a web search and a fetch, as Claude Code sends it back.
const history = [
  { role: "user", content: "What is the distance to the Moon?" },
  {
    role: "assistant",
    content: [
      {
        type: "server_tool_use",
        id: "srvtoolu_1",
        name: "web_search",
        input: { query: "moon distance" },
      },
      {
        type: "web_search_tool_result",
        tool_use_id: "srvtoolu_1",
        content: [{
          type: "web_search_result",
          url: "https://example.org/moon",
          title: "Moon facts",
          encrypted_content: encodeSnippet("The Moon is 384,400 km away."),
          page_age: null,
        }],
      },
      {
        type: "web_fetch_tool_result",
        tool_use_id: "srvtoolu_2",
        content: { type: "web_fetch_tool_error", error_code: "url_not_allowed" },
      },
      { type: "text", text: "It is 384,400 km." },
    ],
  },
  { role: "user", content: "Thanks" },
] as unknown as MessagesRequest["messages"];

const body: MessagesRequest = { model: "m", max_tokens: 100, messages: history };

Deno.test("server-tool blocks of earlier turns reach other protocols as text", async (t) => {
  await t.step("the text names the call and what it found", () => {
    assert.equal(
      serverToolBlockText(history[1]!.content[0]),
      '[web_search {"query":"moon distance"}]',
    );
    assert.equal(
      serverToolBlockText(history[1]!.content[1]),
      "[web_search results]\n1. Moon facts\nURL: https://example.org/moon\nThe Moon is 384,400 km away.",
    );
    assert.equal(serverToolBlockText(history[1]!.content[2]), "[web_fetch error: url_not_allowed]");
    assert.equal(serverToolBlockText({ type: "text", text: "x" }), undefined);
  });
  await t.step("OpenAI Chat Completions", () => {
    const chat = toOpenAIChatRequest(body, {
      dialect: OPENAI_DIALECTS.openai_compatible,
      provider: "p",
      model: "m",
    });
    const assistant = chat.messages.find((m) => m.role === "assistant") as { content: string };
    assert.match(assistant.content, /\[web_search \{"query":"moon distance"\}\]/);
    assert.match(assistant.content, /384,400 km away/);
    assert.match(assistant.content, /It is 384,400 km\.$/);
  });
  await t.step("OpenAI Responses", () => {
    const responses = toResponsesRequest(body, { provider: "r", model: "gpt-5-codex" });
    const text = JSON.stringify(responses.input);
    assert.match(text, /Moon facts/);
    assert.match(text, /384,400 km away/);
  });
  await t.step("Gemini", () => {
    const gemini = toGeminiRequest(body, { provider: "g", model: "gemini-2.5-flash" });
    const model = gemini.contents.find((c) => c.role === "model")!;
    const text = model.parts.map((p) => (p as { text?: string }).text ?? "").join("\n");
    assert.match(text, /Moon facts/);
    assert.match(text, /url_not_allowed/);
  });
});
