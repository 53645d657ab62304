/**
 * `thinking.display: "omitted"` (Claude Code 2.1.332 asks for it in `claude -p` runs with text or
 * JSON output) on a translated Chat provider: the answer has Anthropic's shape for it, thinking
 * blocks with an empty text and a signature, and no thinking_delta. The reasoning DeepSeek needs
 * again on the tool-call turn rides the signature, which Claude Code sends back as it came. With
 * `display: "summarized"` the reasoning streams as text, as before.
 */

import assert from "node:assert/strict";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { accumulateAnthropicEvents } from "../../src/translate/anthropic/accumulate.ts";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import { decodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";
import { assertAnthropicGrammar } from "../helpers/anthropic_grammar.ts";

const fixture = Deno.readTextFileSync(
  new URL("../fixtures/openai/reasoning_content_text_tool.sse", import.meta.url),
);

const tools = [{
  name: "Bash",
  description: "Run a command",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

type Display = "omitted" | "summarized";

function deepseekBehind(sse: string, preset = "deepseek") {
  const mock = startOpenAIMock({ sse });
  const ccp = startCcp(testConfig({
    providers: [provider("ds", {
      type: "openai",
      ...(preset ? { preset } : {}),
      baseUrl: mock.url,
      apiKeys: ["sk-ds-0000000000"],
      authHeader: "bearer",
    })],
    routes: { default: "ds/deepseek-chat" },
  }));
  const post = async (messages: unknown[], display: Display = "omitted") => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 32000,
        stream: true,
        thinking: { type: "adaptive", display },
        tools,
        messages,
      }),
    });
    assert.equal(res.status, 200);
    const frames = parseSse(await res.text());
    assertAnthropicGrammar(frames.map((f) => ({ event: f.event, data: f.data })));
    return frames.map((e) => e.data as unknown as AnthropicStreamEvent);
  };
  return {
    mock,
    post,
    close: async () => {
      await ccp.close();
      await mock.close();
    },
  };
}

const thinkingDeltas = (events: AnthropicStreamEvent[]) =>
  events.filter((e) => e.type === "content_block_delta" && e.delta.type === "thinking_delta");

Deno.test("thinking display omitted: a DeepSeek answer's thinking block comes empty and signed, and its reasoning goes back on the tool turn", async () => {
  const { mock, post, close } = deepseekBehind(fixture);
  try {
    const ask = { role: "user", content: "list the files" };
    const events = await post([ask]);
    assert.deepEqual(thinkingDeltas(events), [], "no thinking text streams");
    const answer = accumulateAnthropicEvents(events);
    const thinking = answer.content.find((b) => b.type === "thinking");
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "");
    assert.equal(decodeCcpSignature(thinking.signature)?.text, "User wants a listing.");
    const call = answer.content.find((b) => b.type === "tool_use")!;
    assert.ok(call.type === "tool_use");
    await post([
      ask,
      { role: "assistant", content: answer.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "a b" }] },
    ]);
    const sent = mock.requests[1]!.body.messages as Array<Record<string, unknown>>;
    const turn = sent.find((m) => m.role === "assistant")!;
    assert.equal(turn.reasoning_content, "User wants a listing.");
  } finally {
    await close();
  }
});

Deno.test("thinking display summarized: the reasoning streams as thinking text, and the signature holds no copy", async () => {
  const { post, close } = deepseekBehind(fixture);
  try {
    const events = await post([{ role: "user", content: "list the files" }], "summarized");
    assert.equal(thinkingDeltas(events).length, 2);
    const thinking = accumulateAnthropicEvents(events).content.find((b) => b.type === "thinking");
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "User wants a listing.");
    assert.equal(decodeCcpSignature(thinking.signature)?.text, undefined);
  } finally {
    await close();
  }
});

Deno.test("thinking display omitted: <think> tags in content come as an empty block too; a server that never wants reasoning back gets no copy in the signature", async () => {
  const tags = Deno.readTextFileSync(
    new URL("../fixtures/openai/think_tags_split.sse", import.meta.url),
  );
  const { post, close } = deepseekBehind(tags, "");
  try {
    const events = await post([{ role: "user", content: "hi" }]);
    assert.deepEqual(thinkingDeltas(events), []);
    const answer = accumulateAnthropicEvents(events);
    const thinking = answer.content.find((b) => b.type === "thinking");
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "");
    assert.equal(decodeCcpSignature(thinking.signature)?.text, undefined);
    const text = answer.content.find((b) => b.type === "text");
    assert.ok(text?.type === "text" && !text.text.includes("think"), JSON.stringify(text));
  } finally {
    await close();
  }
});
