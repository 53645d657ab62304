/**
 * `search_result` blocks (a client's own search results, at the top of a user turn or inside a
 * tool result) reach the model as text on the three translated protocols, instead of vanishing.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { searchResultText } from "../../src/translate/anthropic/search_result.ts";

const result = (n: number) =>
  ({
    type: "search_result",
    source: `https://kb.example/${n}`,
    title: `Doc ${n}`,
    content: [{ type: "text", text: `fact number ${n}` }],
    citations: { enabled: true },
  }) as never;

const REQUEST: MessagesRequest = {
  model: "claude-x",
  max_tokens: 100,
  tools: [{ name: "kb", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
  messages: [
    { role: "user", content: [result(1), { type: "text", text: "What does it say?" }] },
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "kb", input: {} }] },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [result(2)] }],
    },
  ],
};

const SENT: Record<string, () => unknown> = {
  openai_chat: () =>
    toOpenAIChatRequest(REQUEST, { dialect: DEFAULT_OPENAI_DIALECT, model: "m", provider: "p" }),
  openai_responses: () => toResponsesRequest(REQUEST, { model: "gpt-5", provider: "p" }),
  gemini: () => toGeminiRequest(REQUEST, { model: "gemini-2.5-flash", provider: "p" }),
};

Deno.test("search_result blocks become text on every translated protocol", async (t) => {
  for (const [protocol, send] of Object.entries(SENT)) {
    await t.step(protocol, () => {
      const body = JSON.stringify(send());
      for (const n of [1, 2]) {
        assert.match(body, new RegExp(`\\[search result: Doc ${n}\\]`), `result ${n}`);
        assert.match(body, new RegExp(`https://kb.example/${n}`));
        assert.match(body, new RegExp(`fact number ${n}`));
      }
      assert.match(body, /What does it say\?/);
    });
  }
});

Deno.test("a search_result with missing fields is still text, never a throw", () => {
  assert.equal(searchResultText({ type: "search_result" }), "[search result: untitled]\n");
  assert.equal(searchResultText({ type: "text" }), undefined);
});
